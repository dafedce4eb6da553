/*
 * sim_service.c — the toy deterministic service the simulation replicates.
 *
 * State (struct toy_state): SIM_KEYS 64-bit counters, the agreed time of the
 * last batch, and each client's last reply (timestamp and result); its
 * digest is the root of the state-transfer tree (sim_transfer.c).
 * Operations:
 *   ADD key delta   (read-write) value[key] += delta; result = value, time
 *   GET key         (read-only, or read-write after a fallback)
 *                   result = value, time (read-write) or value, 0 (read-only)
 * Op layout: u8 kind (1 ADD, 2 GET), u8 key, u64le delta, then padding that
 * makes some requests "large" (sent by digest in batches).
 *
 * batch_begin snapshots the state so batch_abort (a tentative batch a view
 * change dropped) can restore it; the checker hears of a batch's executions
 * only at batch_end, i.e. once it committed. The faulty modes wrong-result
 * and wrong-checkpoint corrupt what this service returns, after the checker
 * has seen the true values.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define OP_ADD 1
#define OP_GET 2
#define BIG_OP 5000

void toy_digest(const struct toy_service *t, uint8_t out[BFT_DIGEST_LEN])
{
	toy_tree_root(&t->cur, t->sim->n_clients, out);
}

static struct sim_node *node_of(struct toy_service *t)
{
	return &t->sim->nodes[t->node];
}

static int toy_batch_begin(void *data, uint64_t seq, uint64_t time_us)
{
	struct toy_service *t = data;

	t->saved = t->cur;
	t->seq = seq;
	t->open = true;
	t->pos = 0;
	t->n_pending = 0;
	t->cur.time_us = time_us;
	return 0;
}

static int toy_batch_abort(void *data, uint64_t seq)
{
	struct toy_service *t = data;

	(void)seq;
	t->cur = t->saved;
	t->open = false;
	t->n_pending = 0;
	return 0;
}

static int run(struct toy_service *t, const struct bft_exec_req *req, uint8_t *result,
	       uint32_t *result_len)
{
	uint8_t key;

	if (req->op_len < 10 || (req->op[0] != OP_ADD && req->op[0] != OP_GET)) {
		memset(result, 0xee, 16); /* deterministic answer to garbage */
		*result_len = 16;
		return -1;
	}
	key = req->op[1] % SIM_KEYS;
	if (req->op[0] == OP_ADD && !req->read_only)
		t->cur.values[key] += sim_get64(req->op + 2);
	sim_put64(result, t->cur.values[key]);
	sim_put64(result + 8, req->read_only ? 0 : t->cur.time_us);
	*result_len = 16;
	return key;
}

static int toy_execute(void *data, const struct bft_exec_req *req, uint8_t *result,
		       uint32_t cap, uint32_t *result_len)
{
	struct toy_service *t = data;
	int key;

	(void)cap;
	key = run(t, req, result, result_len);
	if (req->client >= t->sim->n && req->client - t->sim->n < t->sim->n_clients) {
		uint32_t c = req->client - t->sim->n;

		t->cur.last_ts[c] = req->timestamp;
		memcpy(t->cur.reply[c], result, *result_len);
		t->cur.reply_len[c] = (uint8_t)*result_len;
	}
	if (key >= 0 && t->n_pending < BFT_MAX_BATCH) {
		struct sim_hist *h = &t->pending[t->n_pending++];

		*h = (struct sim_hist){ .seq = t->seq, .idx = t->pos, .client = req->client,
					.ts = req->timestamp, .key = (uint8_t)key,
					.is_get = req->op[0] == OP_GET,
					.value_after = t->cur.values[key], .result_len = *result_len };
		memcpy(h->result, result, *result_len);
	}
	t->pos++;
	if (node_of(t)->fault == FAULT_WRONG_RESULT)
		result[0] ^= 0x5a;
	return 0;
}

static int toy_batch_end(void *data, uint64_t seq)
{
	struct toy_service *t = data;
	uint8_t d[BFT_DIGEST_LEN];

	for (uint32_t i = 0; i < t->n_pending; i++)
		check_executed(t->sim, t->node, &t->pending[i]);
	t->n_pending = 0;
	t->open = false;
	t->ended = seq;
	t->durable = t->cur;
	toy_digest(t, d);
	check_state(t->sim, t->node, seq, d);
	return 0;
}

static int toy_execute_ro(void *data, const struct bft_exec_req *req, uint8_t *result,
			  uint32_t cap, uint32_t *result_len)
{
	struct toy_service *t = data;

	(void)cap;
	run(t, req, result, result_len);
	if (node_of(t)->fault == FAULT_WRONG_RESULT)
		result[0] ^= 0x5a;
	return 0;
}

static int toy_checkpoint(void *data, uint64_t seq, uint8_t digest[BFT_DIGEST_LEN])
{
	struct toy_service *t = data;

	toy_digest(t, digest);
	toy_snapshot(t, seq);
	sim_disk_sync(node_of(t));
	if (node_of(t)->fault == FAULT_WRONG_CKPT)
		for (int i = 0; i < BFT_DIGEST_LEN; i++)
			digest[i] = (uint8_t)sim_rand(t->sim);
	return 0;
}

static int toy_last_batch(void *data, uint64_t *seq, uint64_t *time_us)
{
	struct toy_service *t = data;

	*seq = t->ended;
	*time_us = t->ended ? t->cur.time_us : 0;
	return 0;
}

void toy_init(struct toy_service *t, struct sim *s, uint32_t node)
{
	memset(t, 0, sizeof(*t));
	t->sim = s;
	t->node = node;
	t->vt = (struct bft_service){
		.version = BFT_SERVICE_VERSION, .data = t,
		.batch_begin = toy_batch_begin, .execute = toy_execute,
		.batch_end = toy_batch_end, .batch_abort = toy_batch_abort,
		.execute_ro = toy_execute_ro,
		.checkpoint = toy_checkpoint, .last_batch = toy_last_batch,
	};
	toy_transfer_init(t);
}

void toy_free(struct toy_service *t)
{
	(void)t;
}

/* A random operation: 55% small ADD, 10% large ADD, 35% read-only GET. */
uint32_t toy_make_op(struct sim *s, uint8_t *op, bool *read_only, bool *is_get,
		     uint8_t *key)
{
	uint64_t pick = sim_between(s, 0, 99);
	uint32_t len = 10;

	*key = (uint8_t)sim_between(s, 0, SIM_KEYS - 1);
	op[1] = *key;
	sim_put64(op + 2, sim_between(s, 1, 1000));
	*read_only = *is_get = pick >= 65;
	op[0] = *is_get ? OP_GET : OP_ADD;
	if (pick >= 55 && pick < 65) {
		len = BIG_OP;
		memset(op + 10, (int)(pick & 0xff), len - 10);
	}
	return len;
}
