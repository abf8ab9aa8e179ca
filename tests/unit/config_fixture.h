/*  config_fixture: the configuration a unit test file parses from its own
    text once for all its tests (cmocka group setup and teardown), or the
    group fails saying why. Include after cmocka.h:

        static const char *s_config = "...";
        CONFIG_FIXTURE (s_config)   //  s_cfg, config_setup, config_teardown
        ...
        return cmocka_run_group_tests (tests, config_setup, config_teardown); */
#ifndef CONFIG_FIXTURE_H_INCLUDED
#define CONFIG_FIXTURE_H_INCLUDED
#include "opd_config.h"
#include <stdio.h>
#include <string.h>

#define CONFIG_FIXTURE(text)                                                                     \
    static opd_config_t *s_cfg;                                                                  \
    static int config_setup (void **state)                                                       \
    {                                                                                            \
        (void) state;                                                                            \
        char err[512];                                                                           \
        s_cfg = opd_config_parse ((text), strlen (text), "test", err, sizeof err);              \
        if (!s_cfg)                                                                              \
            fprintf (stderr, "test configuration refused: %s\n", err);                          \
        return s_cfg ? 0 : -1;                                                                   \
    }                                                                                            \
    static int config_teardown (void **state)                                                    \
    {                                                                                            \
        (void) state;                                                                            \
        opd_config_destroy (&s_cfg);                                                             \
        return 0;                                                                                \
    }
#endif
