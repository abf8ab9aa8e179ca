/*  opd_route_words: whole-word keywords found by one pass over a text's
    words, for the keywords the Vectorscan database is slow with.

    A keyword made of letters common in mail ("printer", "password") is a
    literal that Vectorscan's literal matcher raises false alarms for at
    nearly every position once there are thousands of them (5,000 rules of
    such words: 15 us a ticket; BENCHMARKS.md, "Routing rules"). Keywords
    match whole words (the GRegex's (?<!\w) and (?!\w)), so such a keyword
    can be looked for word by word instead: one of its ASCII words goes in a
    hash table, and the text's words are looked up there, which costs the
    same for 10 keywords as for 10,000.

    The table holds 64-bit hashes only: a collision makes a rule a
    candidate, which the rule's GRegex then refuses, as it refuses any
    candidate whose other words or boundaries do not hold. What must never
    happen is a miss: a text the GRegex matches must yield the keyword's
    word as one of its words. That is why the word of a keyword is a whole
    run of ASCII word bytes ([A-Za-z0-9_]) whose neighbours in the folded
    keyword are ASCII bytes, white space or the keyword's ends, and why the
    text's words are cut at every byte that is not an ASCII word byte:
    - at the keyword's ends the GRegex wants a character that is not \w;
      an ASCII one is a cut here, and every byte of a character outside
      ASCII is a cut too;
    - inside the keyword, an ASCII neighbour is matched as itself and white
      space as \s+: both are cuts in the text as well.
    "Résumé", folded to "resume" before anything looks at it, is ASCII; a
    word cut at a letter outside ASCII ("caféx" gives "caf" and "x") only
    yields more candidates. Case is folded by setting bit 0x20 of every
    word byte, in the keyword and the text alike ("_" becomes 0x7f, which
    is no word byte). */
#include "opd_route_words.h"
#include "opd_util.h"
#include <glib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#define CASE 0x2020202020202020ULL

struct route_words {
    GArray *pairs;      //  pair_t, while keywords are added
    uint64_t *keys;     //  open addressing, 0 = empty slot
    uint32_t *first;    //  per slot: its rule ids, ids[first] ...
    uint32_t *count;    //  ... count of them
    unsigned *ids;
    size_t mask;        //  slots - 1
    uint64_t *bloom;    //  two bits a key, about 8 bits a key in all: a
    size_t bloom_mask;  //  word of the text that is in no keyword (nearly
                        //  all) is turned away here, in the first-level
                        //  cache, not after a miss in the larger table
                        //  (5,000 rules: 15 us a ticket without, BENCHMARKS.md)
};

typedef struct {
    uint64_t key;  //  the quick hash (s_quick)
    unsigned id;
} pair_t;

//  [A-Za-z0-9_], without a branch.
static bool
s_word_byte (unsigned char c)
{
    return ((unsigned) (c | 0x20) - 'a' < 26) | ((unsigned) c - '0' < 10) | (c == '_');
}

//  The quick hash of a word: its length and first eight bytes, case
//  folded, in one multiplication (words that share both share it: more
//  candidates, never fewer). Its top bits choose the bloom filter's bits.
static inline uint64_t
s_quick (uint64_t first8, size_t n)
{
    uint64_t keep = n >= 8 ? ~0ULL : (1ULL << (8 * n)) - 1;
#if G_BYTE_ORDER == G_BIG_ENDIAN
    keep = n >= 8 ? ~0ULL : ~(~0ULL >> (8 * n));
#endif
    return (((first8 | CASE) & keep) ^ (n < 63 ? n : 63) << 57) * 0x9e3779b97f4a7c15ULL;
}

//  The table's key of a quick hash: every bit from every bit of it.
static inline uint64_t
s_key (uint64_t quick)
{
    uint64_t h = quick ^ (quick >> 29);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    return h | 1;  //  never 0, the empty slot
}

//  The quick hash of the n word bytes at w; avail bytes from w on may be
//  read (n or more).
static inline uint64_t
s_hash (const char *w, size_t n, size_t avail)
{
    uint64_t v = 0;
    if (G_LIKELY (avail >= 8))
        memcpy (&v, w, 8);  //  one load; the bytes past the word are masked off
    else
        memcpy (&v, w, avail);
    return s_quick (v, n);
}

route_words_t *
route_words_new (void)
{
    route_words_t *self = opd_calloc (1, sizeof *self);
    self->pairs = g_array_new (FALSE, FALSE, sizeof (pair_t));
    return self;
}

//  True when the run of n bytes at p in folded keyword k is a whole word:
//  next to nothing, an ASCII byte or white space on either side.
static bool
s_whole (const char *k, const char *p, size_t n)
{
    if (p > k && ((unsigned char) p[-1] & 0x80)) {
        const char *prev = g_utf8_find_prev_char (k, p);
        if (!prev || !g_unichar_isspace (g_utf8_get_char (prev)))
            return false;
    }
    return !((unsigned char) p[n] & 0x80) || g_unichar_isspace (g_utf8_get_char (p + n));
}

//  How few words of mail a run is likely to equal: longer is rarer.
static size_t
s_score (const char *p, size_t n)
{
    size_t score = n * 4;
    for (size_t i = 0; i < n; i++)
        score += strchr ("jqxzkvbpygfw", g_ascii_tolower (p[i])) != NULL;
    return score;
}

bool
route_words_add (route_words_t *self, const char *folded, unsigned id)
{
    const char *best = NULL;
    size_t best_n = 0, best_score = 0;
    for (const char *p = folded; *p;) {
        size_t n = 0;
        while (s_word_byte ((unsigned char) p[n]))
            n++;
        if (n && s_whole (folded, p, n) && s_score (p, n) > best_score)
            best = p, best_n = n, best_score = s_score (p, n);
        p += n ? n : 1;
    }
    if (!best)
        return false;
    pair_t pair = {s_hash (best, best_n, best_n), id};
    g_array_append_val (self->pairs, pair);
    return true;
}

//  The filter's two bits for a quick hash: its top bits, which depend on
//  every bit of the word.
static inline void
s_bloom_bits (const route_words_t *self, uint64_t quick, size_t *a, size_t *b)
{
    *a = (size_t) (quick >> 40) & self->bloom_mask;
    *b = (size_t) (quick >> 20) & self->bloom_mask;
}

static void
s_bloom_add (route_words_t *self, uint64_t quick)
{
    size_t a, b;
    s_bloom_bits (self, quick, &a, &b);
    self->bloom[a / 64] |= 1ULL << (a % 64);
    self->bloom[b / 64] |= 1ULL << (b % 64);
}

static inline bool
s_bloom_has (const route_words_t *self, uint64_t quick)
{
    size_t a, b;
    s_bloom_bits (self, quick, &a, &b);
    return (self->bloom[a / 64] >> (a % 64) & 1) & (self->bloom[b / 64] >> (b % 64) & 1);
}

static int
s_cmp_pair (const void *a, const void *b)
{
    const pair_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

size_t
route_words_seal (route_words_t *self)
{
    pair_t *p = (pair_t *) (void *) self->pairs->data;
    size_t n = self->pairs->len, slots = 16;
    if (!n)
        return 0;  //  the caller destroys it
    qsort (p, n, sizeof *p, s_cmp_pair);
    while (slots < 2 * n)
        slots *= 2;
    self->mask = slots - 1;
    self->keys = opd_calloc (slots, sizeof *self->keys);
    self->first = opd_calloc (slots, sizeof *self->first);
    self->count = opd_calloc (slots, sizeof *self->count);
    self->ids = opd_calloc (n + 1, sizeof *self->ids);
    size_t bits = 512;
    while (bits < 8 * n && bits < (1u << 20))
        bits *= 2;
    self->bloom_mask = bits - 1;
    self->bloom = opd_calloc (bits / 64, sizeof *self->bloom);
    size_t nids = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && p[i].key == p[i - 1].key && p[i].id == p[i - 1].id)
            continue;
        uint64_t key = s_key (p[i].key);
        size_t slot = key & self->mask;
        while (self->keys[slot] && self->keys[slot] != key)
            slot = (slot + 1) & self->mask;
        if (!self->keys[slot]) {
            self->keys[slot] = key;
            self->first[slot] = (uint32_t) nids;
        }
        self->count[slot]++;
        self->ids[nids++] = p[i].id;
        s_bloom_add (self, p[i].key);
    }
    g_array_free (self->pairs, TRUE);
    self->pairs = NULL;
    return n;
}

static void
s_lookup (const route_words_t *self, uint64_t key, route_words_hit_fn *hit, void *arg)
{
    for (size_t slot = key & self->mask; self->keys[slot]; slot = (slot + 1) & self->mask)
        if (self->keys[slot] == key) {
            for (uint32_t k = 0; k < self->count[slot]; k++)
                hit (self->ids[self->first[slot] + k], arg);
            return;
        }
}

//  Bit k of the result: byte k of the 64 at t is an ASCII word byte.
#ifdef __SSE2__
static uint64_t
s_block (const unsigned char *t)
{
    //  Letters: (c | 0x20) - 'a' below 26, digits: c - '0' below 10, as
    //  signed bytes moved down by 128; and "_".
    const __m128i lower = _mm_set1_epi8 (0x20), a = _mm_set1_epi8 ((char) (128 - 'a'));
    const __m128i zero = _mm_set1_epi8 ((char) (128 - '0')), under = _mm_set1_epi8 ('_');
    const __m128i letters = _mm_set1_epi8 (-128 + 26), digits = _mm_set1_epi8 (-128 + 10);
    uint64_t m = 0;
    for (int j = 0; j < 4; j++) {
        __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) (t + 16 * j));
        __m128i l = _mm_cmplt_epi8 (_mm_add_epi8 (_mm_or_si128 (v, lower), a), letters);
        __m128i d = _mm_cmplt_epi8 (_mm_add_epi8 (v, zero), digits);
        __m128i w = _mm_or_si128 (_mm_or_si128 (l, d), _mm_cmpeq_epi8 (v, under));
        m |= (uint64_t) (unsigned) _mm_movemask_epi8 (w) << (16 * j);
    }
    return m;
}
#else
static uint64_t
s_block (const unsigned char *t)
{
    uint64_t m = 0;
    for (size_t k = 0; k < 64; k++)
        m |= (uint64_t) s_word_byte (t[k]) << k;
    return m;
}
#endif

//  Bit i of the words at map: byte i of the len at t is an ASCII word byte.
static void
s_word_map (const unsigned char *t, size_t len, uint64_t *map)
{
    size_t i = 0;
    for (; i + 64 <= len; i += 64)
        map[i / 64] = s_block (t + i);
    uint64_t m = 0;
    for (size_t k = 0; i + k < len; k++)
        m |= (uint64_t) s_word_byte (t[i + k]) << k;
    map[i / 64] = m;
}

//  A word of the text: looked up when the filter lets it through.
static inline void
s_word (const route_words_t *self, const char *text, size_t len, size_t at, size_t end,
        route_words_hit_fn *hit, void *arg)
{
    uint64_t quick = s_hash (text + at, end - at + 1, len - at);
    if (s_bloom_has (self, quick))
        s_lookup (self, s_key (quick), hit, arg);
}

//  The words of the text are found from a bitmap of its word bytes, 64 at
//  a time: the bits where words start and end, paired in order (a loop
//  with a branch at every word's ends mispredicted at most of them: 14 us
//  for a 4 KiB body, BENCHMARKS.md).
void
route_words_scan (const route_words_t *self, const char *text, size_t len, route_words_hit_fn *hit, void *arg)
{
    size_t nmap = len / 64 + 1;
    uint64_t stack[66], *map = nmap <= 65 ? stack : opd_calloc (nmap + 1, sizeof *map);
    s_word_map ((const unsigned char *) text, len, map);
    map[nmap] = 0;
    uint64_t carry = 0;   //  the block before ended with a word byte
    size_t pending = 0;   //  where that word started
    for (size_t b = 0; b < nmap; b++) {
        uint64_t m = map[b];
        uint64_t starts = m & ~((m << 1) | carry), ends = m & ~((m >> 1) | (map[b + 1] << 63));
        if ((carry & m & 1) && ends) {  //  the word of the block before ends here
            s_word (self, text, len, pending, b * 64 + (size_t) __builtin_ctzll (ends), hit, arg);
            ends &= ends - 1;
        }
        while (starts) {
            size_t at = b * 64 + (size_t) __builtin_ctzll (starts);
            starts &= starts - 1;
            if (!ends) {
                pending = at;  //  it goes on in the next block
                break;
            }
            s_word (self, text, len, at, b * 64 + (size_t) __builtin_ctzll (ends), hit, arg);
            ends &= ends - 1;
        }
        carry = m >> 63;
    }
    if (map != stack)
        free (map);
}

void
route_words_destroy (route_words_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    route_words_t *self = *self_p;
    if (self->pairs)
        g_array_free (self->pairs, TRUE);
    free (self->keys);
    free (self->first);
    free (self->count);
    free (self->ids);
    free (self->bloom);
    free (self);
    *self_p = NULL;
}
