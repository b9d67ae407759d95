// gchat-client-bench: the client core end to end on a real relay (started here on loopback, in
// certificate mode): one person sends a burst of text messages into a group; every other member's
// client receives them (TLS, MLS decrypt and signature check, certificate check from cache, the
// sealed store with its Thai word index, one transaction per batch). Prints the send rate (queued
// until the relay confirmed the last one) and the receive rate (first to last message event at the
// slowest receiver). A benchmark, not a test: figures come from one run on a shared machine.
//
// With --catch-up the readers are offline while the messages are sent and measured afterwards,
// alone: the rate at which a client takes in a backlog (relay push, decrypt, verify, store).
//
//   gchat-client-bench [--messages N] [--receivers R] [--catch-up]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gchat/client/client.hpp"
#include "relay_process.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace gchat;
using namespace gchat::testing;
namespace api = gchat::client::v1;
namespace idv1 = gchat::identity::v1;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "gchat-client-bench: " << what << "\n";
  std::exit(1);
}

api::Response must(client::Client& c, api::Request r, std::chrono::milliseconds timeout = 120s) {
  auto resp = c.call(std::move(r), timeout);
  if (resp.has_error()) die(resp.error().message());
  return resp;
}

struct Bench {
  TestPki pki;
  TestAgency agency = pki.agency("moi");
  TestAdmin admin = pki.admin(agency, "admin");
  // The relay's per-device rate limit (200/s by default) is lifted: the client is measured.
  RelayProcess relay{RelayOptions{true, "closed", {"--root-key", to_hex(pki.root.public_key()), "--rate-limit-per-sec",
                                                   "1000000", "--rate-limit-burst", "1000000"}}};
  TempDir dir;

  api::Config config(const std::string& name) {
    api::Config c;
    c.set_data_dir(dir.file(name.c_str()));
    c.add_endpoints("127.0.0.1:" + std::to_string(relay.port()));
    c.set_ca_file(relay.ca_file());
    c.set_root_key(std::string(pki.root.public_key().begin(), pki.root.public_key().end()));
    c.set_kdf("interactive");
    return c;
  }

  std::unique_ptr<client::Client> open(const std::string& name) {
    auto client = std::make_unique<client::Client>(config(name));
    api::Request open;
    open.mutable_open()->set_passphrase("benchmark passphrase");
    must(*client, open);
    return client;
  }

  std::unique_ptr<client::Client> person(const std::string& name) {
    auto client = open(name);
    api::Request ask;
    ask.mutable_request_link();
    const auto key = must(*client, ask).link_requested().device_key();
    const TestUser user = pki.user(admin, name, identity::Clearance::unclassified);
    api::LinkToken token;
    *token.mutable_chain() = pki.chain_for(admin, user, key, name).SerializeAsString();
    api::Request complete;
    complete.mutable_complete_link()->set_token(token.SerializeAsString());
    must(*client, complete);
    if (!client->wait_event([](const api::Event& e) {
          return e.has_connection() && e.connection().state() == api::ConnectionState::CONNECTED;
        }, 60s)) {
      die(name + " did not connect");
    }
    return client;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int messages = 5000;
  int receivers = 1;
  bool catch_up = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--catch-up")) {
      catch_up = true;
      continue;
    }
    if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
    if (!std::strcmp(argv[i], "--messages")) messages = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--receivers")) receivers = std::atoi(argv[++i]);
    else die(std::string("unknown option ") + argv[i]);
  }
  if (messages < 1 || messages > 1'000'000 || receivers < 1 || receivers > 50) die("--messages 1..1e6, --receivers 1..50");

  Bench b;
  auto sender = b.person("sender");
  std::vector<std::unique_ptr<client::Client>> rx;
  api::Request create;
  create.mutable_create_conversation()->set_kind(idv1::GROUP);
  create.mutable_create_conversation()->set_title("bench");
  for (int r = 0; r < receivers; ++r) {
    rx.push_back(b.person("reader" + std::to_string(r)));
    auto* m = create.mutable_create_conversation()->add_members();
    m->set_agency_id("moi");
    m->set_user_id("reader" + std::to_string(r));
  }
  const std::string conv = must(*sender, create).conversation().conversation_id();
  for (auto& r : rx) {
    if (!r->wait_event([](const api::Event& e) { return e.has_conversation(); }, 60s)) die("a reader did not join");
  }

  if (catch_up) {
    for (auto& r : rx) r.reset();
  }
  // A realistic Thai message, about 120 bytes.
  const std::string text = "เรียนทุกท่าน ขอเชิญประชุมคณะทำงานงบประมาณ วันพรุ่งนี้ เวลา 09:00 น. ที่ห้องประชุม 3 ข้อความที่ ";
  const auto start = Clock::now();
  std::vector<std::uint64_t> ids;
  for (int n = 0; n < messages; ++n) {
    api::Request send;
    send.mutable_send_text()->set_conversation_id(conv);
    send.mutable_send_text()->set_text(text + std::to_string(n));
    ids.push_back(sender->submit(send));
  }
  // The sender is done when the relay has confirmed every message (SENT or DELIVERED).
  int confirmed = 0;
  while (confirmed < messages) {
    auto o = sender->next(60s);
    if (!o) die("the sender stalled after " + std::to_string(confirmed) + " confirmations");
    if (o->has_response() && o->response().has_error()) die(o->response().error().message());
    if (o->has_event() && o->event().has_status() &&
        (o->event().status().status() == api::SENT || o->event().status().status() == api::DELIVERED)) {
      ++confirmed;
    }
  }
  const double send_s = std::chrono::duration<double>(Clock::now() - start).count();
  auto receive_start = start;
  if (catch_up) {
    receive_start = Clock::now();
    for (int r = 0; r < receivers; ++r) rx[static_cast<std::size_t>(r)] = b.open("reader" + std::to_string(r));
  }

  double slowest = 0;
  for (auto& r : rx) {
    int got = 0;
    Clock::time_point first{}, last{};
    while (got < messages) {
      auto o = r->next(60s);
      if (!o) die("a reader stalled after " + std::to_string(got) + " messages");
      if (o->has_event() && o->event().has_message()) {
        if (got == 0) first = Clock::now();
        last = Clock::now();
        ++got;
      }
    }
    (void)first;
    slowest = std::max(slowest, std::chrono::duration<double>(last - receive_start).count());
  }
  std::printf("messages %d, receivers %d\n", messages, receivers);
  std::printf("send: %.2f s until the relay confirmed all (%.0f msgs/s)\n", send_s, messages / send_s);
  std::printf("receive: %.2f s from the %s to the last message shown at the slowest reader (%.0f msgs/s)\n",
              slowest, catch_up ? "readers' start (store opened, connected, backlog pushed)" : "first send",
              messages / slowest);
  return 0;
}
