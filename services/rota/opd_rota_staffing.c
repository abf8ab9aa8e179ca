/*  rota_staffing: see opd_rota_staffing.h. */
#include "opd_rota_staffing.h"
#include <math.h>
#include <stddef.h>

double
rota_erlang_c (int agents, double erlangs)
{
    if (erlangs <= 0)
        return 0;
    if (agents <= erlangs)
        return 1;
    //  Erlang B by its recurrence (no factorials to overflow), then C from B.
    double b = 1;
    for (int n = 1; n <= agents; n++)
        b = erlangs * b / (n + erlangs * b);
    return agents * b / (agents - erlangs * (1 - b));
}

double
rota_service_level (int agents, double erlangs, double aht_s, double answer_s)
{
    if (erlangs <= 0)
        return 1;
    if (agents <= erlangs || aht_s <= 0)
        return 0;
    return 1 - rota_erlang_c (agents, erlangs) * exp (-(agents - erlangs) * answer_s / aht_s);
}

int
rota_agents_needed (double erlangs, double aht_s, double answer_s, double level, double *reached)
{
    if (erlangs <= 0) {
        if (reached)
            *reached = 1;
        return 0;
    }
    int n = (int) floor (erlangs) + 1;
    double sl = rota_service_level (n, erlangs, aht_s, answer_s);
    while (sl < level && n < 100000)
        sl = rota_service_level (++n, erlangs, aht_s, answer_s);
    if (reached)
        *reached = sl;
    return n;
}

//  Seconds of queued work the agents of hour h can do: the planned agents
//  less those the phone needs, each for the hour.
static double
s_capacity (const rota_staff_in_t *in, const rota_staff_out_t *out, int h)
{
    int free_agents = in[h].on_duty - out[h].phone_needed;
    return free_agents > 0 ? free_agents * 3600.0 : 0;
}

//  Working hours until `need` seconds of work are done, starting at the
//  middle of hour h (the arrivals of an hour come, on average, at its
//  middle); -1 when not within a week.
static double
s_wait (const rota_staff_in_t *in, const rota_staff_out_t *out, int h, double need)
{
    double waited = 0;
    for (int k = 0; k <= ROTA_WEEK_HOURS; k++) {
        int i = (h + k) % ROTA_WEEK_HOURS;
        double part = k == 0 ? 0.5 : 1;
        double cap = s_capacity (in, out, i) * part;
        if (need <= cap && cap > 0)
            return waited + (in[i].working ? part * need / cap : 0);
        need -= cap;
        waited += in[i].working ? part : 0;
    }
    return -1;
}

void
rota_staffing (const rota_staff_params_t *p, const rota_staff_in_t *in, rota_staff_out_t *out)
{
    for (int h = 0; h < ROTA_WEEK_HOURS; h++) {
        out[h].erlangs = in[h].phone * p->phone_aht_s / 3600.0;
        out[h].phone_needed = rota_agents_needed (out[h].erlangs, p->phone_aht_s, p->answer_s, p->level, NULL);
        out[h].phone_level = rota_service_level (in[h].on_duty, out[h].erlangs, p->phone_aht_s, p->answer_s);
    }
    //  The backlog, in seconds of work, replayed twice over the week; the
    //  second pass is the one reported.
    double backlog = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int h = 0; h < ROTA_WEEK_HOURS; h++) {
            double work = in[h].queued * p->queued_aht_s;
            if (pass == 1) {
                double need = backlog + work / 2;
                out[h].wait_h = need > 0 ? s_wait (in, out, h, need) : 0;
                out[h].breach = in[h].queued > 0 && (out[h].wait_h < 0 || out[h].wait_h > p->target_h);
            }
            backlog = fmax (0, backlog + work - s_capacity (in, out, h));
            if (pass == 1)
                out[h].backlog = p->queued_aht_s > 0 ? backlog / p->queued_aht_s : 0;
        }
}
