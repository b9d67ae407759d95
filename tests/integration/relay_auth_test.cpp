#include <doctest/doctest.h>

#include <sodium.h>

#include "gchat/relay/auth.hpp"
#include "relay_client.hpp"
#include "relay_process.hpp"

using namespace gchat;
using namespace gchat::testing;

TEST_CASE("a device authenticates over TLS by signing the relay's challenge") {
  RelayProcess relay;
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  auto ok = c->authenticate();
  REQUIRE(ok.has_auth_ok());
  CHECK(ok.auth_ok().newly_registered());
  CHECK(ok.auth_ok().device_key() == to_str(c->key().public_key));
  // The same key authenticates again on a new connection and is no longer new.
  auto c2 = RelayClient::connect(relay.port(), relay.ca_file());
  c2->set_key(c->key());
  auto again = c2->authenticate();
  REQUIRE(again.has_auth_ok());
  CHECK_FALSE(again.auth_ok().newly_registered());
}

TEST_CASE("a wrong signature, a signature for another nonce and a replayed signature are refused") {
  RelayProcess relay;
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  pb::ClientFrame hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_device_key(to_str(c->key().public_key));
  auto challenge = c->request(hello);
  REQUIRE(challenge.has_challenge());

  // Signed with a different key.
  auto other = DeviceKey::generate();
  const Bytes msg =
      relay::auth_message(as_bytes(challenge.challenge().relay_id()), as_bytes(challenge.challenge().nonce()));
  Bytes bad(64);
  crypto_sign_detached(bad.data(), nullptr, msg.data(), msg.size(), other.secret_key.data());
  pb::ClientFrame auth;
  auth.mutable_authenticate()->set_signature(to_str(bad));
  auto refused = c->request(auth);
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == pb::AUTH_FAILED);

  // The nonce was single-use: a correct signature over it no longer works on this connection.
  Bytes good(64);
  crypto_sign_detached(good.data(), nullptr, msg.data(), msg.size(), c->key().secret_key.data());
  auth.mutable_authenticate()->set_signature(to_str(good));
  auto no_challenge = c->request(auth);
  REQUIRE(no_challenge.has_error());
  CHECK(no_challenge.error().code() == pb::AUTH_FAILED);

  // Replayed on a new connection, whose nonce differs, it fails too.
  auto c2 = RelayClient::connect(relay.port(), relay.ca_file());
  c2->set_key(c->key());
  auto challenge2 = c2->request(hello);
  REQUIRE(challenge2.has_challenge());
  CHECK(challenge2.challenge().nonce() != challenge.challenge().nonce());
  auto replay = c2->request(auth);
  REQUIRE(replay.has_error());
  CHECK(replay.error().code() == pb::AUTH_FAILED);
  // And the honest path still works there.
  CHECK(c2->authenticate().has_auth_ok());
}

TEST_CASE("Authenticate without Hello, bad keys and unknown versions get specific errors") {
  RelayProcess relay;
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  pb::ClientFrame auth;
  auth.mutable_authenticate()->set_signature(std::string(64, 'x'));
  CHECK(c->request(auth).error().code() == pb::AUTH_FAILED);

  pb::ClientFrame hello;
  hello.mutable_hello()->set_protocol_version(2);
  hello.mutable_hello()->set_device_key(std::string(32, 'k'));
  CHECK(c->request(hello).error().code() == pb::UNSUPPORTED_VERSION);
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_device_key(std::string(31, 'k'));
  CHECK(c->request(hello).error().code() == pb::INVALID_ARGUMENT);
}

TEST_CASE("requests before authentication are refused with NOT_AUTHENTICATED, Ping is answered") {
  RelayProcess relay;
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  pb::ClientFrame send;
  send.mutable_send()->set_group_id("g");
  send.mutable_send()->set_kind(pb::APPLICATION);
  send.mutable_send()->set_payload("x");
  CHECK(c->request(send).error().code() == pb::NOT_AUTHENTICATED);
  pb::ClientFrame list;
  list.mutable_list_groups();
  CHECK(c->request(list).error().code() == pb::NOT_AUTHENTICATED);
  pb::ClientFrame ping;
  ping.mutable_ping()->set_client_time_ms(42);
  auto pong = c->request(ping);
  REQUIRE(pong.has_pong());
  CHECK(pong.pong().client_time_ms() == 42);
}

TEST_CASE("closed registration refuses unknown device keys and admits registered ones") {
  RelayProcess relay(RelayOptions{.tls = true, .registration = "closed", .extra_args = {}});
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  auto refused = c->authenticate();
  REQUIRE(refused.has_error());
  CHECK(refused.error().code() == pb::UNKNOWN_DEVICE);

  // The operator registers the key with the relay's own sub-command, on the live database.
  const std::string cmd = std::string(GCHAT_RELAY_BINARY) + " register-device --db " + relay.db_file() +
                          " --key " + to_hex(c->key().public_key) + " > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto c2 = RelayClient::connect(relay.port(), relay.ca_file());
  c2->set_key(c->key());
  CHECK(c2->authenticate().has_auth_ok());
}

TEST_CASE("a second Hello after authentication is refused") {
  RelayProcess relay;
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  REQUIRE(c->authenticate().has_auth_ok());
  pb::ClientFrame hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_device_key(to_str(c->key().public_key));
  CHECK(c->request(hello).error().code() == pb::ALREADY_AUTHENTICATED);
}

TEST_CASE("the health and metrics endpoints answer plain HTTP GETs on the relay's port") {
  RelayProcess relay;
  auto health = http_get(relay.port(), "/healthz", relay.ca_file());
  CHECK(health == "200\nok\n");
  auto c = RelayClient::connect(relay.port(), relay.ca_file());
  REQUIRE(c->authenticate().has_auth_ok());
  auto metrics = http_get(relay.port(), "/metrics", relay.ca_file());
  CHECK(metrics.rfind("200\n", 0) == 0);
  CHECK(metrics.find("gchat_connections_authenticated 1") != std::string::npos);
  CHECK(metrics.find("gchat_process_resident_bytes") != std::string::npos);
  CHECK(http_get(relay.port(), "/nope", relay.ca_file()).rfind("404\n", 0) == 0);
}

TEST_CASE("the relay serves plain TCP when configured for it (behind a TLS terminator)") {
  RelayProcess relay(RelayOptions{.tls = false, .registration = "open", .extra_args = {}});
  auto c = RelayClient::connect(relay.port(), "");
  REQUIRE(c->authenticate().has_auth_ok());
  CHECK(http_get(relay.port(), "/healthz") == "200\nok\n");
}
