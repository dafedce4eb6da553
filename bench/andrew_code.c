/*
 * andrew_code.c — the C sources of the Andrew benchmark's generated tree
 * (andrew_tree.h): per module a header (state struct, prototypes) and a
 * source (a sorted lookup table, a text, NAME_value() and 4-9 ordinary
 * functions drawn from templates: a state machine, a number formatter, an
 * insertion sort, a bit mixer, a binary search, a tokenizer, a checksum,
 * a ring buffer), plus include/config.h and src/main.c.
 *
 * NAME_value() folds its table and the vowels of its text; main prints
 * "andrew XXXXXXXX", the fold of every value. This file computes the same
 * numbers while it writes the code, so the benchmark can check that the
 * program built through the file system under test is the one generated.
 * All arithmetic is uint32_t, defined identically here and in the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "andrew_gen.h"

#define TEXT_WORDS_MIN 24
#define TEXT_WORDS_SPAN 40
#define TABLE_MIN 16
#define TABLE_SPAN 81
#define LITERAL_COLS 60

static const char *const nouns[] = {
	"buffer", "queue", "table", "parser", "lexer", "cache", "codec", "hash", "list",
	"map", "pool", "stream", "timer", "token", "vector", "arena", "bitset", "option",
	"digest", "event", "format", "graph", "heap", "index", "journal", "ledger", "matrix",
	"path", "ring", "slab", "sorter", "trie", "url", "utf8", "varint", "window",
};
#define N_NOUNS (sizeof(nouns) / sizeof(nouns[0]))

static const char *const verbs[] = {
	"scan", "parse", "render", "update", "lookup", "split", "check", "push",
	"fold", "encode", "step", "measure", "visit", "merge", "probe", "tally",
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* ---- templates of the ordinary functions: @ = module, # = verb ---- */

static void body_machine(struct andrew_gen *g)
{
	andrew_put(g, "{\n\tsize_t i;\n\n\tfor (i = 0; i < n; i++) {\n\t\tswitch (s->mode) {\n"
		   "\t\tcase 0:\n\t\t\tif (p[i] == 0x%02x)\n\t\t\t\ts->mode = 1;\n\t\t\tbreak;\n"
		   "\t\tcase 1:\n\t\t\ts->acc = s->acc * %uu + p[i];\n"
		   "\t\t\tif (++s->count >= %uu)\n\t\t\t\ts->mode = 2;\n\t\t\tbreak;\n"
		   "\t\tdefault:\n\t\t\tif (p[i] == 0x%02x) {\n\t\t\t\ts->mode = 0;\n"
		   "\t\t\t\ts->count = 0;\n\t\t\t}\n\t\t\tbreak;\n\t\t}\n\t}\n"
		   "\treturn s->mode == 2 ? -1 : 0;\n}\n", andrew_gen_rand(g, 256),
		   3 + andrew_gen_rand(g, 60), 2 + andrew_gen_rand(g, 30), andrew_gen_rand(g, 256));
}

static void body_format(struct andrew_gen *g)
{
	unsigned base = 2 + andrew_gen_rand(g, 35);

	andrew_put(g, "{\n\tstatic const char digits[] = \"0123456789abcdefghijklmnopqrstuvwxyz\";\n"
		   "\tchar tmp[40];\n\tsize_t n = 0, i;\n\n\tdo {\n"
		   "\t\ttmp[n++] = digits[v %% %uu];\n\t\tv /= %uu;\n"
		   "\t} while (v != 0 && n < sizeof(tmp));\n\tif (n + 1 > cap)\n\t\treturn 0;\n"
		   "\tfor (i = 0; i < n; i++)\n\t\tout[i] = tmp[n - 1 - i];\n"
		   "\tout[n] = '\\0';\n\treturn n;\n}\n", base, base);
}

static void body_sort(struct andrew_gen *g)
{
	unsigned cap = 8 + andrew_gen_rand(g, 57);

	andrew_put(g, "{\n\tuint32_t tmp[%u];\n\tsize_t i, j, m = n < %u ? n : %u;\n\n"
		   "\tif (m == 0)\n\t\treturn 0;\n\tmemcpy(tmp, a, m * sizeof(tmp[0]));\n"
		   "\tfor (i = 1; i < m; i++) {\n\t\tuint32_t x = tmp[i];\n\n"
		   "\t\tfor (j = i; j > 0 && tmp[j - 1] > x; j--)\n\t\t\ttmp[j] = tmp[j - 1];\n"
		   "\t\ttmp[j] = x;\n\t}\n\treturn tmp[m / 2] ^ 0x%08xu;\n}\n", cap, cap, cap,
		   andrew_gen_rand(g, UINT32_MAX));
}

static void body_mix(struct andrew_gen *g)
{
	unsigned r = 1 + andrew_gen_rand(g, 31);

	andrew_put(g, "{\n\tx ^= x >> %u;\n\tx *= 0x%08xu;\n\tx ^= x >> %u;\n"
		   "\ts->acc = (s->acc << %u | s->acc >> %u) ^ x;\n\ts->count++;\n"
		   "\tif ((s->acc & 0x%xu) == 0)\n\t\ts->flags |= 1u << (x & 31);\n}\n",
		   7 + andrew_gen_rand(g, 10), andrew_gen_rand(g, UINT32_MAX) | 1,
		   11 + andrew_gen_rand(g, 10), r, 32 - r, 1 + andrew_gen_rand(g, 0xffff));
}

static void body_search(struct andrew_gen *g)
{
	andrew_put(g, "{\n\tsize_t lo = 0, hi = sizeof(@_table) / sizeof(@_table[0]);\n\n"
		   "\twhile (lo < hi) {\n\t\tsize_t mid = lo + (hi - lo) / 2;\n\n"
		   "\t\tif (@_table[mid] == key)\n\t\t\treturn (int)mid;\n"
		   "\t\tif (@_table[mid] < key)\n\t\t\tlo = mid + 1;\n\t\telse\n"
		   "\t\t\thi = mid;\n\t}\n\treturn -1;\n}\n");
}

static void body_tokens(struct andrew_gen *g)
{
	andrew_put(g, "{\n\tsize_t count = 0, run = 0;\n\n\t*longest = 0;\n"
		   "\tfor (; *s != '\\0'; s++) {\n\t\tif (*s == sep) {\n"
		   "\t\t\tif (run > 0)\n\t\t\t\tcount++;\n\t\t\trun = 0;\n\t\t\tcontinue;\n\t\t}\n"
		   "\t\tif (++run > *longest)\n\t\t\t*longest = run;\n\t}\n"
		   "\treturn count + (run > 0);\n}\n");
}

static void body_checksum(struct andrew_gen *g)
{
	unsigned mod = 65521 - 2 * andrew_gen_rand(g, 500);

	andrew_put(g, "{\n\tconst uint8_t *p = data;\n\tuint32_t a = 1, b = 0;\n\n"
		   "\twhile (n-- > 0) {\n\t\ta = (a + *p++) %% %uu;\n\t\tb = (b + a) %% %uu;\n"
		   "\t}\n\treturn b << 16 | a;\n}\n", mod, mod);
}

static void body_ring(struct andrew_gen *g)
{
	andrew_put(g, "{\n\tif (s->count >= sizeof(s->ring))\n\t\treturn -1;\n"
		   "\ts->ring[(s->head + s->count) %% sizeof(s->ring)] = byte;\n"
		   "\ts->count++;\n\treturn 0;\n}\n");
}

struct tmpl {
	const char *proto;
	void (*body)(struct andrew_gen *g);
};

static const struct tmpl tmpls[] = {
	{ "int @_#(struct @_state *s, const uint8_t *p, size_t n)", body_machine },
	{ "size_t @_#(char *out, size_t cap, uint32_t v)", body_format },
	{ "uint32_t @_#(const uint32_t *a, size_t n)", body_sort },
	{ "void @_#(struct @_state *s, uint32_t x)", body_mix },
	{ "int @_#(uint32_t key)", body_search },
	{ "size_t @_#(const char *s, char sep, size_t *longest)", body_tokens },
	{ "uint32_t @_#(const void *data, size_t n)", body_checksum },
	{ "int @_#(struct @_state *s, uint8_t byte)", body_ring },
};
#define N_TMPLS (sizeof(tmpls) / sizeof(tmpls[0]))

/* Replace @ and # in what was appended since mark by name and verb. */
static void substitute(struct andrew_gen *g, size_t mark, const char *name, const char *verb)
{
	char tail[ANDREW_FILE_MAX];
	size_t i, n = g->len - mark;

	memcpy(tail, g->buf + mark, n);
	g->len = mark;
	for (i = 0; i < n; i++) {
		if (tail[i] == '@')
			andrew_put(g, "%s", name);
		else if (tail[i] == '#')
			andrew_put(g, "%s", verb);
		else
			andrew_put(g, "%c", tail[i]);
	}
}

static void put_proto(struct andrew_gen *g, const struct andrew_module *m, unsigned j,
		      const char *end)
{
	size_t mark = g->len;

	andrew_put(g, "%s%s", tmpls[m->tmpl[j]].proto, end);
	substitute(g, mark, m->name, verbs[m->verb[j]]);
}

/* ---- planning ---- */

void andrew_code_plan(struct andrew_gen *g)
{
	struct andrew_module *m;
	unsigned i, j, first;

	for (i = 0; i < g->t->modules; i++) {
		m = &g->mods[i];
		memset(m, 0, sizeof(*m));
		m->group = andrew_groups[i % ANDREW_GROUPS];
		if (i < N_NOUNS)
			snprintf(m->name, sizeof(m->name), "%s", nouns[i]);
		else
			snprintf(m->name, sizeof(m->name), "%s%u", nouns[i % N_NOUNS],
				 (unsigned)(i / N_NOUNS + 1));
		m->dep = i > 0 && andrew_gen_rand(g, 3) ? (int)andrew_gen_rand(g, i) : -1;
		m->n_fillers = 4 + andrew_gen_rand(g, ANDREW_FILLERS_MAX - 3);
		first = andrew_gen_rand(g, N_VERBS);
		for (j = 0; j < m->n_fillers; j++) {
			m->tmpl[j] = (uint8_t)andrew_gen_rand(g, N_TMPLS);
			m->verb[j] = (uint8_t)((first + j) % N_VERBS);
		}
	}
}

/* ---- files ---- */

static int write_header(struct andrew_gen *g, const struct andrew_module *m)
{
	char path[ANDREW_PATH_MAX], guard[64];
	unsigned j;
	size_t k;

	snprintf(guard, sizeof(guard), "ANDREW_%s_%s_H", m->group, m->name);
	for (k = 0; guard[k]; k++)
		if (guard[k] >= 'a' && guard[k] <= 'z')
			guard[k] = (char)(guard[k] - 'a' + 'A');
	andrew_put(g, "/*\n * %s.h — the %s module of the %s subsystem.\n *\n", m->name, m->name,
		   m->group);
	andrew_put_prose(g, " * ", 2 + andrew_gen_rand(g, 3));
	andrew_put(g, " */\n#ifndef %s\n#define %s\n\n#include <stddef.h>\n#include <stdint.h>\n\n"
		   "struct %s_state {\n\tuint32_t acc;\n\tuint32_t count;\n\tuint32_t flags;\n"
		   "\tuint32_t head;\n\tint mode;\n\tuint8_t ring[%u];\n};\n\n"
		   "/* The module's self-check value, printed by the program. */\n"
		   "uint32_t %s_value(void);\n", guard, guard, m->name, 16u << andrew_gen_rand(g, 4),
		   m->name);
	for (j = 0; j < m->n_fillers; j++) {
		andrew_put(g, "\n/*\n");
		andrew_put_prose(g, " * ", 1 + andrew_gen_rand(g, 2));
		andrew_put(g, " */\n");
		put_proto(g, m, j, ";\n");
	}
	andrew_put(g, "\n#endif\n");
	snprintf(path, sizeof(path), "include/%s/%s.h", m->group, m->name);
	return andrew_emit(g, path);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The sorted table; folds it into *h with mix exactly as NAME_value(). */
static void put_table(struct andrew_gen *g, const char *name, uint32_t mix, uint32_t *h)
{
	uint32_t table[TABLE_MIN + TABLE_SPAN];
	unsigned i, n = TABLE_MIN + andrew_gen_rand(g, TABLE_SPAN);

	for (i = 0; i < n; i++)
		table[i] = andrew_gen_rand(g, UINT32_MAX);
	qsort(table, n, sizeof(table[0]), cmp_u32);
	andrew_put(g, "static const uint32_t %s_table[%u] = {", name, n);
	for (i = 0; i < n; i++) {
		andrew_put(g, "%s0x%08x,", i % 6 ? " " : "\n\t", table[i]);
		*h = (*h ^ table[i]) * mix + (uint32_t)i;
	}
	andrew_put(g, "\n};\n\n");
}

/* The text literal; adds vowel_add to *h per vowel as NAME_value(). */
static void put_text(struct andrew_gen *g, const char *name, uint32_t vowel_add, uint32_t *h)
{
	unsigned i, n = TEXT_WORDS_MIN + andrew_gen_rand(g, TEXT_WORDS_SPAN);
	size_t col = LITERAL_COLS;
	const char *w, *c;

	andrew_put(g, "static const char %s_text[] =", name);
	for (i = 0; i < n; i++) {
		w = andrew_word(g);
		if (col + strlen(w) + 1 > LITERAL_COLS) {
			andrew_put(g, "%s\n\t\"", i ? "\"" : "");
			col = 0;
		}
		andrew_put(g, "%s%s", w, i + 1 < n ? " " : "");
		col += strlen(w) + 1;
		for (c = w; *c; c++)
			if (strchr("aeiou", *c))
				*h += vowel_add;
	}
	andrew_put(g, "\";\n\n");
}

static int write_source(struct andrew_gen *g, struct andrew_module *m)
{
	const struct andrew_module *dep = m->dep >= 0 ? &g->mods[m->dep] : NULL;
	uint32_t h = andrew_gen_rand(g, UINT32_MAX), mix = andrew_gen_rand(g, UINT32_MAX) | 1;
	uint32_t vowel_add = 1 + andrew_gen_rand(g, 0xfff), init = h;
	char path[ANDREW_PATH_MAX];
	unsigned j;

	andrew_put(g, "/*\n * %s.c — the %s module of the %s subsystem.\n *\n", m->name,
		   m->name, m->group);
	andrew_put_prose(g, " * ", 3 + andrew_gen_rand(g, 4));
	andrew_put(g, " */\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n\n"
		   "#include \"config.h\"\n#include \"%s/%s.h\"\n", m->group, m->name);
	if (dep)
		andrew_put(g, "#include \"%s/%s.h\"\n", dep->group, dep->name);
	andrew_put(g, "\n");
	put_table(g, m->name, mix, &h);
	put_text(g, m->name, vowel_add, &h);
	andrew_put(g, "uint32_t %s_value(void)\n{\n\tuint32_t h = 0x%08xu;\n\tsize_t i;\n\n"
		   "\tfor (i = 0; i < sizeof(%s_table) / sizeof(%s_table[0]); i++)\n"
		   "\t\th = (h ^ %s_table[i]) * 0x%08xu + (uint32_t)i;\n"
		   "\tfor (i = 0; %s_text[i] != '\\0'; i++)\n"
		   "\t\tif (strchr(\"aeiou\", %s_text[i]) != NULL)\n\t\t\th += 0x%xu;\n"
		   "\treturn h;\n}\n", m->name, init, m->name, m->name, m->name, mix, m->name,
		   m->name, vowel_add);
	m->value = h;
	for (j = 0; j < m->n_fillers; j++) {
		size_t mark;

		andrew_put(g, "\n/*\n");
		andrew_put_prose(g, " * ", 1 + andrew_gen_rand(g, 3));
		andrew_put(g, " */\n");
		put_proto(g, m, j, "\n");
		mark = g->len;
		tmpls[m->tmpl[j]].body(g);
		substitute(g, mark, m->name, verbs[m->verb[j]]);
	}
	snprintf(path, sizeof(path), "src/%s/%s.c", m->group, m->name);
	return andrew_emit(g, path);
}

static int write_main(struct andrew_gen *g)
{
	uint32_t sum = 0;
	unsigned i;

	andrew_put(g, "/*\n * main.c — the generated project's program: prints the fold of\n"
		   " * every module's self-check value.\n */\n#include <stdint.h>\n#include <stdio.h>\n\n"
		   "#include \"config.h\"\n");
	for (i = 0; i < g->t->modules; i++)
		andrew_put(g, "#include \"%s/%s.h\"\n", g->mods[i].group, g->mods[i].name);
	andrew_put(g, "\nint main(void)\n{\n\tuint32_t sum = 0;\n\n");
	for (i = 0; i < g->t->modules; i++) {
		andrew_put(g, "\tsum = sum * 33u + %s_value();\n", g->mods[i].name);
		sum = sum * 33u + g->mods[i].value;
	}
	andrew_put(g, "\tprintf(\"%s %%08x\\n\", (unsigned)sum);\n\treturn 0;\n}\n",
		   ANDREW_PROGRAM);
	snprintf(g->t->output, sizeof(g->t->output), "%s %08x\n", ANDREW_PROGRAM, sum);
	return andrew_emit(g, "src/main.c");
}

int andrew_code_write(struct andrew_gen *g)
{
	unsigned i;
	int err;

	andrew_put(g, "/*\n * config.h — build configuration of the generated project.\n */\n"
		   "#ifndef ANDREW_CONFIG_H\n#define ANDREW_CONFIG_H\n\n"
		   "#define ANDREW_VERSION \"1.%u.%u\"\n#define ANDREW_MODULES %u\n"
		   "#define ANDREW_SEED %lluull\n\n#endif\n", andrew_gen_rand(g, 20),
		   andrew_gen_rand(g, 100), g->t->modules, (unsigned long long)g->t->seed);
	if ((err = andrew_emit(g, "include/config.h")))
		return err;
	for (i = 0; i < g->t->modules; i++) {
		if ((err = write_header(g, &g->mods[i])) || (err = write_source(g, &g->mods[i])))
			return err;
	}
	return write_main(g);
}
