#include <doctest/doctest.h>

#include "online.hpp"

using namespace gchat;
using namespace gchat::testing;

TEST_CASE("malformed frames get MALFORMED_FRAME and the relay keeps serving") {
  RelayProcess relay;
  auto c = online(relay);
  c->send_raw(std::string("\xff\xff\xff\xff garbage", 13));
  auto e1 = c->next_push();
  REQUIRE(e1);
  CHECK(e1->error().code() == pb::MALFORMED_FRAME);
  c->send_raw("hello as text", false);
  auto e2 = c->next_push();
  REQUIRE(e2);
  CHECK(e2->error().code() == pb::MALFORMED_FRAME);
  c->send_raw("");
  auto e3 = c->next_push();
  REQUIRE(e3);
  CHECK(e3->error().code() == pb::MALFORMED_FRAME);
  pb::ClientFrame empty;  // a request id but no body
  CHECK(c->request(empty).error().code() == pb::MALFORMED_FRAME);
  REQUIRE(c->create_group("still-fine", {}).has_create_group_ok());
  CHECK(c->send_message("still-fine", "ok").has_send_ok());
}

TEST_CASE("an oversized frame closes that connection with 'message too big' and others are unaffected") {
  RelayProcess relay(RelayOptions{.tls = true, .registration = "open", .extra_args = {"--max-frame-bytes", "65536",
                                                                                      "--max-payload-bytes", "32768"}});
  auto bystander = online(relay);
  auto c = online(relay);
  REQUIRE(c->create_group("big", {}).has_create_group_ok());
  CHECK(c->send_message("big", std::string(40000, 'x')).error().code() == pb::INVALID_ARGUMENT);
  pb::ClientFrame f;
  f.set_request_id(99);
  f.mutable_send()->set_group_id("big");
  f.mutable_send()->set_kind(pb::APPLICATION);
  f.mutable_send()->set_payload(std::string(70000, 'x'));
  c->send_raw(f.SerializeAsString());
  REQUIRE(c->wait_closed());
  CHECK(c->close_code() == 1009);  // RFC 6455: message too big
  REQUIRE(bystander->create_group("small", {}).has_create_group_ok());
  CHECK(bystander->send_message("small", "fine").has_send_ok());
  CHECK(relay.running());
}

TEST_CASE("a device that sends faster than its rate limit gets RATE_LIMITED with a retry time") {
  RelayProcess relay(RelayOptions{.tls = true, .registration = "open", .extra_args = {"--rate-limit-per-sec", "5",
                                                                                      "--rate-limit-burst", "5"}});
  auto c = online(relay);
  REQUIRE(c->create_group("rl", {}).has_create_group_ok());  // takes one token
  int limited = 0;
  std::uint32_t retry_after = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = c->send_message("rl", "m");
    if (r.has_error()) {
      CHECK(r.error().code() == pb::RATE_LIMITED);
      retry_after = r.error().retry_after_ms();
      ++limited;
    }
  }
  CHECK(limited >= 4);
  CHECK(retry_after > 0);
  CHECK(retry_after <= 1000);
}

TEST_CASE("an idle connection is told IDLE_TIMEOUT and closed, while a pinging one stays open") {
  RelayProcess relay(RelayOptions{.tls = true, .registration = "open", .extra_args = {"--idle-timeout-sec", "1"}});
  auto idle = online(relay);
  auto busy = online(relay);
  pb::ClientFrame ping;
  ping.mutable_ping();
  for (int i = 0; i < 6; ++i) {
    REQUIRE(busy->request(ping).has_pong());
    idle->pump(300ms);
  }
  auto notice = idle->next_push(2s);
  REQUIRE(notice);
  CHECK(notice->notice().reason().code() == pb::IDLE_TIMEOUT);
  CHECK(idle->wait_closed());
  CHECK_FALSE(busy->closed());
}

TEST_CASE("connections beyond the per-device limit are refused with TOO_MANY_CONNECTIONS") {
  RelayProcess relay(RelayOptions{.tls = true, .registration = "open", .extra_args = {"--max-connections-per-device", "2"}});
  auto key = DeviceKey::generate();
  auto c1 = online(relay, &key);
  auto c2 = online(relay, &key);
  auto c3 = RelayClient::connect(relay.port(), relay.ca_file());
  c3->set_key(key);
  auto refused = c3->authenticate();
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == pb::TOO_MANY_CONNECTIONS);
  CHECK(c3->wait_closed());
  // Closing one frees a slot.
  c1->close();
  c2->pump(200ms);
  auto c4 = RelayClient::connect(relay.port(), relay.ca_file());
  c4->set_key(key);
  CHECK(c4->authenticate().has_auth_ok());
}

TEST_CASE("a slow reader does not delay others, the relay's memory stays bounded, and it later gets everything in order") {
  RelayProcess relay(RelayOptions{.tls = true, .registration = "open",
                                  .extra_args = {"--send-queue-max-bytes", "1048576", "--send-queue-max-frames", "64",
                                                 "--rate-limit-per-sec", "100000", "--rate-limit-burst", "100000"}});
  auto sender = online(relay), fast = online(relay), slow = online(relay);
  REQUIRE(sender->create_group("flood", {fast->key().public_key, slow->key().public_key}).has_create_group_ok());
  slow->pause_reading();

  const std::string payload(60 * 1024, 'p');
  const int count = 300;  // 18 MB in all: far more than the socket buffers and the relay's queue bound
  for (int i = 0; i < count; ++i) {
    REQUIRE(sender->send_message("flood", payload).has_send_ok());
    // The fast reader keeps up message by message while the slow one reads nothing.
    auto got = fast->take_deliveries(1, 5s);
    REQUIRE(got.size() == 1);
    CHECK(got[0].seq() == static_cast<std::uint64_t>(i + 1));
  }
  // 18 MB went through; no connection's queue ever held more than twice its 1 MB bound (the hard
  // cut-off), because the slow reader's messages waited in the store, not in memory.
  auto during = http_get(relay.port(), "/metrics", relay.ca_file());
  const auto pos = during.find("\ngchat_send_queue_bytes_max_connection ");
  REQUIRE(pos != std::string::npos);
  const auto high_water = std::stoull(during.substr(pos + 39));
  CHECK(high_water <= 2u * 1048576u);
  CHECK(high_water >= 512u * 1024u);  // the slow reader's queue did fill up to its bound

  slow->resume_reading();
  auto all = slow->take_deliveries(count, 30s);
  REQUIRE(all.size() == static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) CHECK(all[static_cast<std::size_t>(i)].seq() == static_cast<std::uint64_t>(i + 1));
  auto metrics = http_get(relay.port(), "/metrics", relay.ca_file());
  CHECK(metrics.find("gchat_lagging_events_total 0") == std::string::npos);
}
