// The identity's life on a device: renewed user certificates (the agency's issuing service renews
// them before they expire; a clearance officer's change is a new certificate too) taken from the
// relay, checked to the root, and carried into every conversation; and the person's own devices,
// listed and removed from another of them.
//
// The relay only stores and serves certificates; everything here is verified. A certificate is
// taken only when it is of this person and identity key, verifies to the root with its issuer's
// newest chain, and is not older than the one held.
#include <sodium.h>

#include "engine.hpp"

namespace gchat::client {

namespace {

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Device certificates are signed by the person's identity key, held only by the device that
// enrolled; they are long-lived so that linked devices need no signature from it to go on. The
// user certificate (90 days, renewed) and revocation are what bound a device's chain in time.
constexpr std::int64_t kDeviceCertificateSeconds = 5ll * 365 * 24 * 3600;

std::string short_fingerprint(BytesView key) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, key.data(), key.size());
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i && i % 2 == 0) out += ' ';
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace

idv1::Validity Engine::device_validity() const {
  idv1::Validity v;
  v.set_not_before(now_s() - identity::kClockSkewSeconds);
  v.set_not_after(now_s() + kDeviceCertificateSeconds);
  return v;
}

std::int64_t Engine::certificate_expiry() const { return identity::earliest_expiry(chain_); }

// Asks the relay for this person's current certificate and takes it when it is newer; `then(true)`
// when it was taken (the caller reconnects with it), `then(false)` otherwise (also when the relay
// has none or the answer does not verify: the problem is reported, the held chain stays).
void Engine::check_certificate(std::function<void(bool)> then) {
  if (!enrolled()) return then(false);
  idv1::UserCertificate held;
  if (!held.ParseFromString(chain_.user().body())) return then(false);
  pb::ClientFrame f;
  f.mutable_fetch_certificate()->set_identity_key(held.identity_key());
  relay(std::move(f), [this, then = std::move(then)](const pb::ServerFrame& reply) {
    if (reply.has_error()) {
      // A relay that does not serve certificates yet (NOT_SUPPORTED, open mode) is no problem.
      if (reply.error().code() != pb::NOT_SUPPORTED && reply.error().code() != pb::SHUTTING_DOWN) {
        problem(relay_error(reply.error()));
      }
      return then(false);
    }
    if (!reply.has_current_certificate()) return then(false);
    auto taken = adopt_certificate(reply.current_certificate());
    if (!taken.ok()) {
      problem(api_error(taken.error()));
      return then(false);
    }
    then(*taken);
  });
}

std::vector<mls::LeafIndex> leaves_of(const mls::Group& group, BytesView device_key) {
  std::vector<mls::LeafIndex> out;
  for (mls::LeafIndex i = 0; i < group.tree().leaf_count(); ++i) {
    const auto* leaf = group.tree().leaf(i);
    if (leaf && same_bytes(leaf->signature_key, device_key)) out.push_back(i);
  }
  return out;
}

void Engine::reconnect_renewed() {
  attempt_ = 0;
  on_closed("took a renewed certificate; connecting again with it");
}

Result<bool> Engine::adopt_certificate(const pb::CurrentCertificate& current) {
  if (current.user_certificate().body().empty()) return false;
  idv1::UserCertificate fresh, held;
  idv1::DeviceCertificate device;
  if (!held.ParseFromString(chain_.user().body()) || !device.ParseFromString(chain_.device().body())) {
    return fail(Errc::storage_corrupt, "local store: this device's chain does not parse");
  }
  GCHAT_TRY_STATUS(identity::parse_canonical(as_bytes(current.user_certificate().body()), fresh, "user certificate"));
  if (fresh.identity_key() != held.identity_key() || fresh.agency_id() != held.agency_id() ||
      fresh.user_id() != held.user_id()) {
    return fail(Errc::cert_mismatch, "the relay offered a certificate of someone else for this device's person");
  }
  idv1::Chain next = chain_;
  *next.mutable_agency() = current.issuer().agency();
  *next.mutable_admin() = current.issuer().admin();
  *next.mutable_user() = current.user_certificate();
  if (next.SerializeAsString() == chain_.SerializeAsString()) return false;
  // Never back to an older certificate (a relay replaying one); the same certificate is taken again
  // only with an issuer chain that lasts longer (a renewed agency or administrator certificate).
  if (fresh.validity().not_before() < held.validity().not_before()) return false;
  if (fresh.serial() == held.serial() && identity::earliest_expiry(next) <= identity::earliest_expiry(chain_)) {
    return false;
  }
  // The device certificate is renewed here when it would end first (the enrolling device only).
  if (user_key_ && device.validity().not_after() < fresh.validity().not_after()) {
    device.set_serial(randombytes_random());
    *device.mutable_validity() = device_validity();
    *next.mutable_device() = identity::make_signed(identity::SignedKind::device_certificate, device, *user_key_);
  }
  GCHAT_TRY(auto verified, identity::verify_chain(next, trust_anchor()));
  if (!same_bytes(verified.device_key, device_key_->public_key())) {
    return fail(Errc::cert_mismatch, "the renewed chain certifies another device key");
  }
  GCHAT_TRY(auto id, identity::mls_identity(next, *device_key_));
  const std::string bytes = next.SerializeAsString();
  settle();
  GCHAT_TRY_STATUS(store_->put("chain", as_bytes(bytes)));
  const identity::Clearance before = self_.user.clearance;
  chain_ = std::move(next);
  chain_bytes_ = to_bytes(bytes);
  self_ = std::move(verified);
  mls_id_ = std::move(id);
  for (auto& [gid, c] : convs_) {
    // Carried into each tree by this device's next commit there (refresh_leaves).
    if (c.group) (void)c.group->renew_credential(mls_id_->credential);
    if (c.pending_group) (void)c.pending_group->renew_credential(mls_id_->credential);
  }
  event([&](api::Event& e) {
    auto* changed = e.mutable_certificate();
    *changed->mutable_person() = person_of(self_.user);
    changed->set_previous_clearance(static_cast<idv1::Clearance>(before));
    changed->set_clearance_changed(before != self_.user.clearance);
    changed->set_not_after(self_.not_after);
    changed->set_serial(self_.user.serial);
  });
  return true;
}

// After a renewal: one commit in every conversation whose tree still holds this device's old
// chain, so that members see the renewed certificate (and its clearance) in the tree. Groups above
// a lowered clearance are left alone: the relay has taken the device out of them.
void Engine::refresh_leaves() {
  for (auto& [gid, c] : convs_) {
    if (!c.group || c.info.left() || !c.group->active() || c.group->credential_current()) continue;
    auto policy = identity::policy_of(c.group->context().extensions);
    if (!policy.ok()) continue;
    const auto level = identity::clearance_from_int(policy->level()).value_or(identity::kHighestClearance);
    if (!identity::at_least(self_.user.clearance, level)) continue;
    const Bytes group_id = gid;
    run_exclusive(group_id, [this, group_id](Done release) {
      Conv* c2 = find(group_id);
      if (!c2 || !c2->group || c2->group->credential_current()) return release(std::nullopt);
      commit_changes(group_id, {}, {}, [release](std::optional<ApiError> e) { release(e); });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The person's own devices

void Engine::list_devices(std::uint64_t id) {
  pb::ClientFrame f;
  f.mutable_list_devices();
  relay(std::move(f), [this, id](const pb::ServerFrame& reply) {
    if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
    api::Devices out;
    for (const auto& d : reply.device_list().devices()) {
      auto* o = out.add_devices();
      o->set_device_key(d.device_key());
      o->set_fingerprint(short_fingerprint(as_bytes(d.device_key())));
      o->set_last_seen_ms(d.last_seen_ms());
      o->set_revoked(d.revoked());
      o->set_this_device(same_bytes(as_bytes(d.device_key()), device_key_->public_key()));
      // The name as the device's own certificate says it, when its chain verifies for this person.
      idv1::Chain chain;
      idv1::DeviceCertificate cert;
      if (chain.ParseFromString(d.chain()) && cert.ParseFromString(chain.device().body())) {
        auto who = verifier_ ? verifier_->verify_member(identity::gchat_credential(as_bytes(d.chain())),
                                                        as_bytes(d.device_key()))
                             : Result<identity::VerifiedDevice>(fail(Errc::internal, "no verifier"));
        if (who.ok() && who->user.agency.agency_id == self_.user.agency.agency_id &&
            who->user.user_id == self_.user.user_id) {
          o->set_device_name(who->device_name);
        }
      }
    }
    respond(id, [&](api::Response& r) { *r.mutable_devices() = std::move(out); });
  });
}

void Engine::remove_device(std::uint64_t id, const api::RemoveDevice& r) {
  if (r.device_key().size() != identity::kPublicKeySize) {
    return respond_error(id, {api::INVALID_ARGUMENT, "device_key must be 32 bytes"});
  }
  if (same_bytes(as_bytes(r.device_key()), device_key_->public_key())) {
    return respond_error(id, {api::INVALID_ARGUMENT, "remove this device from another of your devices"});
  }
  const Bytes device = to_bytes(r.device_key());
  pb::ClientFrame f;
  f.mutable_revoke_own_device()->set_device_key(r.device_key());
  relay(std::move(f), [this, id, device](const pb::ServerFrame& reply) {
    if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
    // Revoked at the relay; its leaves leave every conversation this device shares with it (a
    // member may always remove its own devices).
    for (auto& [gid, c] : convs_) {
      if (!c.group || c.info.left() || leaves_of(*c.group, device).empty()) continue;
      const Bytes group_id = gid;
      run_exclusive(group_id, [this, group_id, device](Done release) {
        Conv* c2 = find(group_id);
        if (!c2 || !c2->group) return release(std::nullopt);
        // Found again: the tree may have moved while other operations ran.
        const std::vector<mls::LeafIndex> leaves = leaves_of(*c2->group, device);
        if (leaves.empty()) return release(std::nullopt);
        commit_changes(group_id, {}, leaves, [this, release](std::optional<ApiError> e) {
          if (e) problem(*e);
          release(e);
        });
      });
    }
    respond(id, [](api::Response& resp) { resp.set_done(true); });
  });
}

}  // namespace gchat::client
