/*  opd_config_bounds: refuses a document whose size, with every YAML alias
    expanded, passes MAX_NODES, MAX_TEXT_BYTES or MAX_DEPTH, before the walk
    visits it. */
#include "opd_config_int.h"

/*  The size of the tree under node n as the walk sees it, every alias
    expanded: nodes, bytes of scalar text, and height. libyaml shares one
    node between an anchor and its aliases, so sizes are computed once per
    node (memo) and the measure costs one pass over the document however
    large the expansion; counts saturate above the bounds. An alias inside
    the node it names makes a cycle, refused too. */
typedef struct {
    uint64_t nodes, text;
    int height;
    int state;  //  0 not seen, 1 being measured, 2 done
} measure_t;

static const char *
s_measure (yaml_document_t *doc, measure_t *memo, int index, int depth)
{
    yaml_node_t *n = yaml_document_get_node (doc, index);
    if (!n)
        return NULL;
    measure_t *m = &memo[index - 1];
    if (m->state == 1)
        return "an alias refers to a node that holds it";
    if (m->state == 2)
        return depth + m->height > MAX_DEPTH ? "is nested too deeply" : NULL;
    if (depth > MAX_DEPTH)
        return "is nested too deeply";
    m->state = 1;
    uint64_t nodes = 1, text = 0;
    int height = 0;
    int children[2];
    yaml_node_item_t *item = NULL, *item_end = NULL;
    yaml_node_pair_t *pair = NULL, *pair_end = NULL;
    if (n->type == YAML_SCALAR_NODE)
        text = n->data.scalar.length;
    else if (n->type == YAML_SEQUENCE_NODE) {
        item = n->data.sequence.items.start;
        item_end = n->data.sequence.items.top;
    }
    else if (n->type == YAML_MAPPING_NODE) {
        pair = n->data.mapping.pairs.start;
        pair_end = n->data.mapping.pairs.top;
    }
    while (item < item_end || pair < pair_end) {
        int nchildren = 0;
        if (item < item_end)
            children[nchildren++] = *item++;
        else {
            children[nchildren++] = pair->key;
            children[nchildren++] = pair->value;
            pair++;
        }
        for (int i = 0; i < nchildren; i++) {
            const char *why = s_measure (doc, memo, children[i], depth + 1);
            if (why)
                return why;
            measure_t *cm = &memo[children[i] - 1];
            nodes += cm->nodes;
            text += cm->text;
            if (cm->height + 1 > height)
                height = cm->height + 1;
            //  Saturate: the caller only needs to know that a bound is passed.
            if (nodes > MAX_NODES)
                nodes = MAX_NODES + 1;
            if (text > MAX_TEXT_BYTES)
                text = MAX_TEXT_BYTES + 1;
        }
    }
    m->nodes = nodes;
    m->text = text;
    m->height = height;
    m->state = 2;
    return NULL;
}

//  Refuses a document larger than the bounds once its aliases are expanded,
//  naming the top-level key where the budget ran out.
bool
opd_cfg_check_size (ctx_t *c, yaml_node_t *root)
{
    size_t count = (size_t) (c->doc->nodes.top - c->doc->nodes.start);
    measure_t *memo = opd_calloc (count + 1, sizeof (measure_t));
    uint64_t nodes = 1, text = 0;
    bool ok = true;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         ok && p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = opd_cfg_node (c, p->key);
        const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *) k->data.scalar.value
                                                            : "";
        const char *why = s_measure (c->doc, memo, p->value, 1);
        if (why)
            ok = opd_cfg_fail (c, key, "%s", why);
        else {
            nodes += 1 + memo[p->value - 1].nodes;
            text += memo[p->value - 1].text;
            if (nodes > MAX_NODES)
                ok = opd_cfg_fail (c, key,
                             "too many nodes (aliases?): the configuration holds more than %d "
                             "once aliases are expanded",
                             MAX_NODES);
            else if (text > MAX_TEXT_BYTES)
                ok = opd_cfg_fail (c, key,
                             "too much text (aliases?): the configuration holds more than %d MiB "
                             "once aliases are expanded",
                             MAX_TEXT_BYTES / (1024 * 1024));
        }
    }
    free (memo);
    return ok;
}
