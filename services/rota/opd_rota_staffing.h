/*  rota_staffing: how many agents each hour of the week needs (issue 10,
    docs/shifts.md "Staffing advice"). Pure: no Redis, unit-tested.

    Two models, because the two kinds of work wait differently:

    - The phone is a queue in real time: a caller waits seconds. Erlang C
      (M/M/N) gives the share of calls answered within answer_s for N
      agents, offered A = calls per hour x handling time / 3600 Erlangs;
      the agents needed are the fewest N > A that reach the target level.
    - Email, the portal and the API wait hours: the backlog model replays
      the week's arrivals against the capacity of the agents planned on
      duty (less those the phone needs that hour), first in, first out, as
      a fluid, and says for the tickets arriving in each hour how many
      working hours they wait before an agent takes them up; an hour whose
      wait exceeds the SLO target (first response) would breach. The week
      is replayed twice and the second pass reported, so the backlog a
      weekend leaves is carried into Monday. */
#ifndef ROTA_ROTA_STAFFING_H_INCLUDED
#define ROTA_ROTA_STAFFING_H_INCLUDED
#include <stdbool.h>

#define ROTA_WEEK_HOURS 168

//  Erlang C: the probability that a call waits, with agents agents and
//  erlangs offered (1 when agents <= erlangs: the queue never empties).
double rota_erlang_c (int agents, double erlangs);
//  The share of calls answered within answer_s seconds, with handling
//  time aht_s (0 when agents <= erlangs).
double rota_service_level (int agents, double erlangs, double aht_s, double answer_s);
//  The fewest agents that answer at least `level` within answer_s (0 for no
//  traffic); the level they reach into *reached (may be NULL).
int rota_agents_needed (double erlangs, double aht_s, double answer_s, double level, double *reached);

typedef struct {
    double phone_aht_s;   //  mean handling time of a call
    double answer_s;      //  the phone target: answered within this many seconds...
    double level;         //  ...for this share of calls (0.8)
    double queued_aht_s;  //  mean handling time of an email or portal ticket
    double target_h;      //  the SLO target of queued work, in working hours
} rota_staff_params_t;

//  One hour of the week (index 0 = Monday 00:00 in the team's time zone).
typedef struct {
    double phone;   //  calls arriving in the hour (mean over the weeks)
    double queued;  //  email, portal and API tickets arriving in the hour
    int on_duty;    //  agents the rota plans on duty
    bool working;   //  a working hour of the team's calendar (SLO time runs)
} rota_staff_in_t;

typedef struct {
    double erlangs;      //  phone traffic offered
    int phone_needed;    //  agents the phone needs alone (Erlang C)
    double phone_level;  //  the share answered in time with the planned on_duty
    double backlog;      //  queued tickets waiting at the end of the hour
    double wait_h;       //  working hours a ticket arriving in the hour waits; -1: not within a week
    bool breach;         //  wait_h over the target (or -1) for an hour with queued arrivals
} rota_staff_out_t;

//  The advice for a week of ROTA_WEEK_HOURS hours, in into out.
void rota_staffing (const rota_staff_params_t *p, const rota_staff_in_t *in, rota_staff_out_t *out);
#endif
