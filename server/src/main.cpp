// gchat-relay: the G-Chat relay. See server/README.md.
#include <sys/resource.h>

#include <cstdio>
#include <iostream>

#include <google/protobuf/stubs/logging.h>

#include "gchat/server/config.hpp"
#include "gchat/server/server.hpp"

namespace {

// Each connection is a file descriptor: lift the soft limit to the hard one, so that
// max-connections is bounded by configuration and not by a login shell's default of 1024.
void raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using gchat::server::CommandLine;
  // Protobuf writes its own complaints about malformed input (invalid UTF-8 in a string field) to
  // stderr; every such input is already refused with an error code, and a peer must not be able to
  // fill the relay's log with them.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  auto cl = gchat::server::parse_command_line(argc, argv);
  if (!cl.ok()) {
    std::cerr << "gchat-relay: " << cl.error().message << "\n(run gchat-relay --help for the options)\n";
    return 2;
  }
  switch (cl->action) {
    case CommandLine::Action::help:
      std::cout << cl->help_text;
      return 0;
    case CommandLine::Action::print_config:
      std::cout << cl->config.to_string();
      return 0;
    case CommandLine::Action::register_device: {
      auto st = gchat::server::register_device(cl->config.db, cl->device_key_hex);
      if (!st.ok()) {
        std::cerr << "gchat-relay register-device: " << st.error().to_string() << "\n";
        return 1;
      }
      std::cout << "registered\n";
      return 0;
    }
    case CommandLine::Action::run: break;
  }
  raise_descriptor_limit();
  auto st = gchat::server::run_relay(cl->config);
  if (!st.ok()) {
    std::cerr << "gchat-relay: " << st.error().to_string() << "\n";
    return 1;
  }
  return 0;
}
