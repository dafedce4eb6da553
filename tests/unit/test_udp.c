/*
 * test_udp.c — the transport under the cores (bft/net.h, udp.c,
 * udp_send.c): sends made while corked leave as one bundle per
 * destination, every message of a bundle reaches the core in order, an
 * uncorked send is a plain datagram, and a malformed bundle is dropped
 * whole (udp_internal.h; DESIGN.md "Transport").
 *
 * Real loopback sockets in one process; never waits unboundedly.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bft/messages.h"
#include "bft/net.h"

#define MAX_GOT 256

struct sink {
	uint32_t n;
	uint32_t sender[MAX_GOT];
	uint32_t len[MAX_GOT];
};

static struct bft_loop *loop;
static struct bft_net *a, *b;
static struct sink got;
static int raw = -1;           /* a plain socket, to see datagrams as sent */
static struct bft_addr raw_addr;

static void on_recv(void *data, const uint8_t *buf, size_t len, const struct bft_addr *from)
{
	struct sink *s = data;

	(void)from;
	if (s->n < MAX_GOT) {
		s->sender[s->n] = (uint32_t)buf[4] | (uint32_t)buf[5] << 8;
		s->len[s->n++] = (uint32_t)len;
	}
}

static void ignore(void *data, const uint8_t *buf, size_t len, const struct bft_addr *from)
{
	(void)data, (void)buf, (void)len, (void)from;
}

/* A message as the transport sees it: a header whose length field is len
 * and whose sender field carries `tag`, then filler. */
static size_t make_msg(uint8_t *buf, uint32_t len, uint32_t tag)
{
	memset(buf, 0x5a, len);
	buf[0] = BFT_WIRE_VERSION;
	buf[1] = BFT_MSG_PREPARE;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)tag, buf[5] = (uint8_t)(tag >> 8), buf[6] = buf[7] = 0;
	buf[8] = (uint8_t)len, buf[9] = (uint8_t)(len >> 8);
	buf[10] = (uint8_t)(len >> 16), buf[11] = (uint8_t)(len >> 24);
	return len;
}

static struct bft_addr loopback(void)
{
	struct bft_addr x;

	ck_assert_int_eq(bft_addr_parse("127.0.0.1:1", &x), 0);
	((struct sockaddr_in *)&x.ss)->sin_port = 0;
	return x;
}

static void setup(void)
{
	struct bft_addr peers[3], any = loopback();
	struct bft_net_config nc = { .bind = any, .peers = peers, .n_nodes = 3 };

	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(bft_loop_new(&loop), 0);
	raw = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(raw, 0);
	ck_assert_int_eq(bind(raw, (struct sockaddr *)&any.ss, any.len), 0);
	raw_addr.len = sizeof(raw_addr.ss);
	ck_assert_int_eq(getsockname(raw, (struct sockaddr *)&raw_addr.ss, &raw_addr.len), 0);
	peers[0] = peers[1] = peers[2] = raw_addr;
	ck_assert_int_eq(bft_net_new(loop, &nc, ignore, NULL, &a), 0);
	ck_assert_int_eq(bft_net_new(loop, &nc, on_recv, &got, &b), 0);
	ck_assert_int_eq(bft_net_local_addr(b, &peers[1]), 0);
	bft_net_free(a); /* again, now that b's address is known: a sends 1 -> b */
	ck_assert_int_eq(bft_net_new(loop, &nc, ignore, NULL, &a), 0);
}

static void teardown(void)
{
	bft_net_free(a);
	bft_net_free(b);
	bft_loop_free(loop);
	close(raw);
}

static void run_until(uint32_t n)
{
	for (int i = 0; i < 50 && got.n < n; i++)
		bft_loop_run_once(loop, 20);
}

/* The next datagram on the raw socket (waits up to 1 s). */
static ssize_t raw_recv(uint8_t *buf, size_t cap)
{
	struct timeval tv = { .tv_sec = 1 };

	setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(raw, buf, cap, 0);
}

START_TEST(corked_sends_to_one_address_are_one_bundle)
{
	static uint8_t m[3][200], dgram[BFT_MAX_MSG + 1];
	ssize_t n;

	bft_net_cork(a);
	for (uint32_t i = 0; i < 3; i++)
		bft_net_send(a, 0, m[i], make_msg(m[i], 40 + 20 * i, i));
	n = raw_recv(dgram, sizeof(dgram));
	ck_assert_int_eq(n, -1); /* nothing leaves while corked */
	bft_net_uncork(a);
	n = raw_recv(dgram, sizeof(dgram));
	ck_assert_int_eq(n, 4 + 40 + 60 + 80);
	ck_assert_uint_eq(dgram[0], 0xb5);
	ck_assert_uint_eq(dgram[1], 1);
	ck_assert_uint_eq(dgram[2] | dgram[3] << 8, 3);
	ck_assert_int_eq(memcmp(dgram + 4, m[0], 40), 0);
	ck_assert_int_eq(memcmp(dgram + 44, m[1], 60), 0);
	ck_assert_int_eq(memcmp(dgram + 104, m[2], 80), 0);
}
END_TEST

START_TEST(uncorked_send_is_a_plain_datagram)
{
	static uint8_t m[64], dgram[BFT_MAX_MSG + 1];

	bft_net_send(a, 0, m, make_msg(m, 64, 7));
	ck_assert_int_eq(raw_recv(dgram, sizeof(dgram)), 64);
	ck_assert_int_eq(memcmp(dgram, m, 64), 0);
}
END_TEST

START_TEST(every_message_of_a_bundle_reaches_the_core_in_order)
{
	static uint8_t m[1000];
	struct bft_net_stats st;

	bft_net_cork(a); /* 70 messages: more than one bundle holds */
	for (uint32_t i = 0; i < 70; i++)
		bft_net_send(a, 1, m, make_msg(m, 12 + 13 * i, i));
	bft_net_uncork(a);
	run_until(70);
	ck_assert_uint_eq(got.n, 70);
	for (uint32_t i = 0; i < 70; i++) {
		ck_assert_uint_eq(got.sender[i], i);
		ck_assert_uint_eq(got.len[i], 12 + 13 * i);
	}
	bft_net_get_stats(b, &st);
	ck_assert_uint_eq(st.rx, 70);
	ck_assert_uint_eq(st.rx_malformed, 0);
	bft_net_get_stats(a, &st);
	ck_assert_uint_eq(st.tx, 70);
}
END_TEST

static void raw_send_to_b(const uint8_t *buf, size_t len)
{
	struct bft_addr to;

	ck_assert_int_eq(bft_net_local_addr(b, &to), 0);
	ck_assert_int_eq(sendto(raw, buf, len, 0, (struct sockaddr *)&to.ss, to.len),
			 (ssize_t)len);
}

START_TEST(malformed_bundles_are_dropped_whole)
{
	static uint8_t d[512];
	struct bft_net_stats st;
	size_t len;

	/* count 3, but only two messages */
	d[0] = 0xb5, d[1] = 1, d[2] = 3, d[3] = 0;
	len = 4 + make_msg(d + 4, 20, 1);
	len += make_msg(d + len, 20, 2);
	raw_send_to_b(d, len);
	/* an inner length running past the end */
	d[2] = 2;
	d[4 + 20 + 8] = 200;
	raw_send_to_b(d, len);
	/* count 1 (a lone message needs no bundle) */
	d[2] = 1;
	raw_send_to_b(d, 4 + 20);
	/* trailing bytes after the last message */
	d[2] = 2;
	make_msg(d + 24, 20, 2);
	raw_send_to_b(d, len + 5);
	/* and a good one last */
	raw_send_to_b(d, len);
	run_until(2);
	for (int i = 0; i < 5; i++)
		bft_loop_run_once(loop, 10);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_uint_eq(got.sender[0], 1);
	ck_assert_uint_eq(got.sender[1], 2);
	bft_net_get_stats(b, &st);
	ck_assert_uint_eq(st.rx_malformed, 4);
	ck_assert_uint_eq(st.rx, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("udp");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, corked_sends_to_one_address_are_one_bundle);
	tcase_add_test(tc, uncorked_send_is_a_plain_datagram);
	tcase_add_test(tc, every_message_of_a_bundle_reaches_the_core_in_order);
	tcase_add_test(tc, malformed_bundles_are_dropped_whole);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
