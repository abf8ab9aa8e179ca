/*  opd_route_words.h: the word table of the routing prefilter
    (opd_route_words.c), used by opd_route_scan.c alone. */
#ifndef OPD_ROUTE_WORDS_H_INCLUDED
#define OPD_ROUTE_WORDS_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct route_words route_words_t;
typedef void (route_words_hit_fn) (unsigned id, void *arg);

route_words_t *route_words_new (void);
//  Adds the folded keyword of rule id by one of its whole ASCII words;
//  false (nothing added) when it has none that a text's words would show.
bool route_words_add (route_words_t *self, const char *folded, unsigned id);
//  Builds the table once every keyword is added; returns their count.
size_t route_words_seal (route_words_t *self);
//  Calls hit with the id of every keyword one of whose words is among the
//  len bytes of text (a superset: hashes only), once per word found.
void route_words_scan (const route_words_t *self, const char *text, size_t len, route_words_hit_fn *hit, void *arg);
void route_words_destroy (route_words_t **self_p);
#endif
