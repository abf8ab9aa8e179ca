"""The harness's own checks can fail: a service log that holds personal data
fails the test that ran the stack."""
import unittest

import harness


class HarnessTest(unittest.TestCase):
    def test_personal_data_in_a_service_log_fails_the_stack(self):
        st = harness.Stack([], smtp=False)
        st.__enter__()
        with open(st.log_path("intake"), "a") as f:
            f.write("2026-12-02T07:00:00Z info accepted ticket=OPD-1\n")
            f.write("2026-12-02T07:00:01Z info from=Rita@Example.com ticket=OPD-2\n")
        with self.assertRaises(AssertionError) as cm:
            st.__exit__(None, None, None)
        self.assertIn("intake.log line 2 holds personal data", str(cm.exception))

    def test_clean_logs_pass(self):
        st = harness.Stack([], smtp=False)
        st.__enter__()
        with open(st.log_path("router"), "a") as f:
            f.write("2026-12-02T07:00:00Z info routed ticket=OPD-1 team=network\n")
        self.assertEqual(st.personal_data_in_logs(), [])
        st.__exit__(None, None, None)
        self.assertIsNone(st.redis_proc)


if __name__ == "__main__":
    unittest.main()
