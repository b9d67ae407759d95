#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "gchat/server/config.hpp"

using namespace gchat;
using namespace gchat::server;

namespace {

Result<CommandLine> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "gchat-relay");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& text) {
    path = std::filesystem::temp_directory_path() /
           ("gchat-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".conf");
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
  static inline int counter = 0;
};

}  // namespace

TEST_CASE("the shipped example configuration lists every key with its default") {
  const std::string example = std::string(GCHAT_SOURCE_DIR) + "/server/gchat-relay.conf.example";
  auto cl = parse({"--config", example, "--print-config"});
  REQUIRE_MESSAGE(cl.ok(), cl.error().message);
  CHECK(cl->action == CommandLine::Action::print_config);
  CHECK(cl->config.to_string() == Config{}.to_string());

  // Every key printed by to_string() appears in the example, commented out or not.
  std::ifstream in(example);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream keys(Config{}.to_string());
  for (std::string line; std::getline(keys, line);) {
    const std::string key = line.substr(0, line.find(" = "));
    CHECK_MESSAGE(text.find(key + " =") != std::string::npos, "missing from example: " << key);
  }
}

TEST_CASE("command-line values win over the file") {
  TempFile f("port = 9000\nregistration = open\ntransport = plain\n");
  auto cl = parse({"--config", f.path.string(), "--port", "9001"});
  REQUIRE_MESSAGE(cl.ok(), cl.error().message);
  CHECK(cl->config.port == 9001);
  CHECK(cl->config.registration == Registration::open);
  CHECK(cl->config.transport == Transport::plain);
}

TEST_CASE("bad configuration is refused with a message naming the key") {
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"--transport", "udp"}, "transport"},
      {{"--transport", "tls"}, "tls-cert"},
      {{"--transport", "plain", "--port", "70000"}, "port"},
      {{"--transport", "plain", "--registration", "maybe"}, "registration"},
      {{"--transport", "plain", "--log-level", "loud"}, "log-level"},
      {{"--transport", "plain", "--threads", "0"}, "threads"},
      {{"--transport", "plain", "--max-frame-bytes", "100"}, "max-frame-bytes"},
      {{"--transport", "plain", "--max-payload-bytes", "1048576"}, "max-payload-bytes"},
      {{"--transport", "plain", "--rate-limit-per-sec", "0"}, "rate-limit-per-sec"},
      {{"--transport", "plain", "--relay-id", ""}, "relay-id"},
      {{"--transport", "plain", "--no-such-option", "1"}, "no-such-option"},
      {{"--config", "/nonexistent/gchat.conf"}, "config"},
  };
  for (const auto& c : cases) {
    auto cl = parse(c.args);
    REQUIRE_FALSE(cl.ok());
    CHECK(cl.error().code == Errc::config_invalid);
    CHECK_MESSAGE(cl.error().message.find(c.names) != std::string::npos, cl.error().message);
  }
}

TEST_CASE("a file with an unknown key is refused") {
  TempFile f("prot = 9000\n");
  auto cl = parse({"--config", f.path.string(), "--transport", "plain"});
  REQUIRE_FALSE(cl.ok());
  CHECK(cl.error().code == Errc::config_invalid);
}

TEST_CASE("register-device needs a key") {
  auto cl = parse({"register-device", "--db", "x.db"});
  REQUIRE_FALSE(cl.ok());
  CHECK(cl.error().message.find("--key") != std::string::npos);
  auto ok = parse({"register-device", "--db", "x.db", "--key", "00"});
  REQUIRE(ok.ok());
  CHECK(ok->action == CommandLine::Action::register_device);
}
