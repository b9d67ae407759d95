#pragma once
// A throw-away government (root, agencies moi and mof, their administrators) and the real relay in
// certificate mode pinning its root, for tests that drive the relay with blocking clients: devices
// that authenticate with their chains, administrators' signed acts.
#include <doctest/doctest.h>
#include <sodium.h>

#include <ctime>
#include <memory>

#include "gchat/identity/verify.hpp"
#include "relay_client.hpp"
#include "relay_process.hpp"
#include "test_pki.hpp"

namespace gchat::testing {

inline DeviceKey device_key_of(const identity::SigningKey& key) {
  DeviceKey k;
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(k.public_key.data(), k.secret_key.data(), key.seed().data());
  return k;
}

struct Government {
  TestPki pki;
  TestAgency moi = pki.agency("moi", identity::Clearance::secret);
  TestAgency mof = pki.agency("mof");
  TestAdmin moi_admin = pki.admin(moi, "admin1");
  TestAdmin moi_officer = pki.admin(moi, "officer", {v1::CLEARANCE_OFFICER});
  TestAdmin mof_admin = pki.admin(mof, "admin2");
  TestAdmin moi_service = pki.admin(moi, "issuer", {v1::RENEWAL});  // moi's issuing service
  TestAdmin mof_service = pki.admin(mof, "issuer", {v1::RENEWAL});
  RelayProcess relay{RelayOptions{true, "closed", {"--root-key", to_hex(pki.root.public_key())}}};

  std::unique_ptr<RelayClient> connect() { return RelayClient::connect(relay.port(), relay.ca_file()); }

  // A connection that will present this chain for this key (authenticate() to use it).
  std::unique_ptr<RelayClient> connect_as(const identity::SigningKey& key, const v1::Chain& chain) {
    auto c = connect();
    c->set_key(device_key_of(key));
    const std::string bytes = chain.SerializeAsString();
    c->set_chain(Bytes(bytes.begin(), bytes.end()));
    return c;
  }
  std::unique_ptr<RelayClient> connect_as(const TestDevice& device) {
    return connect_as(device.key, device.chain);
  }

  // The act signed now by `admin`, on the connection `c`.
  pb::ServerFrame submit(RelayClient& c, const TestAdmin& admin, v1::AdminAct act) {
    return submit_with(c, admin.chain, admin.key, std::move(act));
  }
  pb::ServerFrame submit_with(RelayClient& c, const v1::AdminChain& chain, const identity::SigningKey& key,
                              v1::AdminAct act) {
    act.set_issued_at(static_cast<std::int64_t>(std::time(nullptr)));
    std::uint64_t nonce = 0;
    randombytes_buf(&nonce, sizeof nonce);
    if (act.nonce() == 0) act.set_nonce(nonce);
    pb::ClientFrame f;
    *f.mutable_submit_admin_act()->mutable_admin() = chain;
    *f.mutable_submit_admin_act()->mutable_act() =
        identity::make_signed(identity::SignedKind::admin_act, act, key);
    return c.request(f);
  }
};

}  // namespace gchat::testing
