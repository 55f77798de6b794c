// run_isolated: a check that returns, refuses with a chop error, or crashes in its child process
// is reported as such, and nothing of the child's state reaches the parent.
#include <gtest/gtest.h>
#include <signal.h>

#include "core/error.h"
#include "core/isolated.h"

namespace chop {

TEST(Isolated, AReturningCheckIsOk) {
  int touched = 0;
  const IsolatedOutcome o = run_isolated([&] { touched = 1; });
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.signal, 0);
  EXPECT_EQ(touched, 0);  // the child's writes stay in the child
}

TEST(Isolated, ARefusalComesBackWithItsText) {
  const IsolatedOutcome o =
      run_isolated([] { throw DataError("/data/jsc.h5", "'t_allpar_new' is not a dataset"); });
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.signal, 0);
  EXPECT_EQ(o.error, "/data/jsc.h5: 't_allpar_new' is not a dataset");
}

TEST(Isolated, ACrashIsReportedByItsSignal) {
  // What libhdf5's division by zero does to the process, without the sanitizers' handlers.
  const IsolatedOutcome o = run_isolated([] {
    signal(SIGFPE, SIG_DFL);
    raise(SIGFPE);
  });
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.signal, SIGFPE);
  EXPECT_EQ(o.signal_name(), "SIGFPE");
}

}  // namespace chop
