#include "train/stop_signals.hpp"

#include <csignal>

namespace latentlab::native {

namespace {

// Written only by the handler; volatile sig_atomic_t is what a handler may safely set.
volatile std::sig_atomic_t g_received = 0;
struct sigaction g_previous_int {}, g_previous_term {};

extern "C" void on_stop_signal(int signal) {
  if (g_received != 0) {
    // Second signal: give up waiting for the step and die of it (signal() and raise() are
    // async-signal-safe).
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_received = signal;
}

}  // namespace

StopSignals::StopSignals() {
  g_received = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress are not cut short
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

int StopSignals::received() { return g_received; }

const char* StopSignals::name(int signal) { return signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal"; }

}  // namespace latentlab::native
