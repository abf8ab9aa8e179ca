/*  rota_aht: the handling times the staffing advice measures (issue 10,
    docs/shifts.md "Measured handling times", decisions 135-137).

    What is measured, per team and UTC day in opd:aht:TEAM:DAY (counts and
    durations only):
    - phone: an answered call's talk time, from its `answered` event to its
      `hangup` (opdesk-phone, at the hangup);
    - queued work (email, portal, API): the time agents spend on the
      ticket's console page, from the page's beats (every 10 s, and at the
      first key): a beat of an agent who typed or had the page focused adds
      the time since that agent's previous beat on the ticket, at most two
      beats' gap (opdesk-web); the ticket is counted once per team.

    The advice takes the measured mean of the days of its weeks when it
    has ROTA_AHT_MIN_SAMPLES samples or more, else the configured value,
    and says which. */
#ifndef ROTA_ROTA_AHT_H_INCLUDED
#define ROTA_ROTA_AHT_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stdbool.h>
#include <stdint.h>

#define ROTA_AHT_MIN_SAMPLES 20
#define ROTA_AHT_BEAT_CAP_MS 20000       //  two beats of the console page
#define ROTA_AHT_DAY_MS      86400000LL
#define ROTA_AHT_TTL_S       (400 * 86400)  //  a day's sums outlive the longest advice (52 weeks)

//  The time a beat adds: since the agent's previous beat (prev_ms, 0 when
//  none), at most ROTA_AHT_BEAT_CAP_MS; 0 when the beat does not count
//  (the agent neither typed nor had the page focused) or the clock went back.
int64_t rota_aht_beat_ms (int64_t prev_ms, int64_t now_ms, bool counts);

//  A call's talk time from its answered and hangup instants (ms, 0 when
//  unknown): 0 when it was never answered or the events are out of order.
int64_t rota_aht_talk_ms (int64_t answered_ms, int64_t hangup_ms);

//  The UTC day of an instant: whole days since 1970-01-01.
long long rota_aht_day (int64_t ms);

//  One kind of handling time: the sums measured over a period, and what
//  the advice uses.
typedef struct {
    long long sum_ms, n;  //  measured: total time and samples
    double used_s;        //  the handling time used, in seconds
    bool measured;        //  used_s is the measured mean (else the configured value)
} rota_aht_t;

//  Chooses between the measured mean and configured_ms for a.
void rota_aht_choose (rota_aht_t *a, int64_t configured_ms, long long min_samples);

//  The sums of team over the UTC days of [from_ms, to_ms] (both days
//  included) into *phone and *work (used_s and measured left to
//  rota_aht_choose); 0, or -1 when Redis did not answer.
int rota_aht_read (opd_redis_t *r, const char *team, int64_t from_ms, int64_t to_ms, rota_aht_t *phone,
                   rota_aht_t *work);
#endif
