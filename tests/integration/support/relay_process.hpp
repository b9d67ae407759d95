#pragma once
// Starts the real gchat-relay binary on an ephemeral loopback port, in its own temporary folder
// (database, TLS certificates, log), and stops, kills or restarts it. Every wait is bounded.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace gchat::testing {

struct RelayOptions {
  bool tls = true;
  std::string registration = "open";
  std::vector<std::string> extra_args;  // e.g. {"--idle-timeout-sec", "1"}
};

class RelayProcess {
 public:
  explicit RelayProcess(RelayOptions options = {});
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  unsigned short port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  bool tls() const noexcept { return options_.tls; }
  const std::string& dir() const noexcept { return dir_; }
  std::string ca_file() const { return dir_ + "/tls/ca.pem"; }
  std::string db_file() const { return dir_ + "/relay.db"; }
  std::string log() const;  // the relay's stderr so far

  // SIGTERM and wait; returns the exit status (or -1 on timeout, after which it is killed).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void kill9();
  // Starts again on the same database (and a new ephemeral port).
  void restart();
  bool running();
  // Resident memory of the relay process in bytes (from /proc).
  std::uint64_t resident_bytes() const;

 private:
  void start();

  RelayOptions options_;
  std::string dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  int starts_ = 0;
};

// An HTTP GET on loopback; returns "status\nbody" or "error: ...".
std::string http_get(unsigned short port, const std::string& target, const std::string& ca_file = "");

}  // namespace gchat::testing
