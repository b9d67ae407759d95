// A person's identity on the relay (certificate mode): their current certificate, served for the
// identity key before authentication too (a device whose certificate was renewed or superseded
// fetches the new one to rebuild its chain), and their own devices, listed and revoked from another
// device of the same person.
#include "admin_util.hpp"
#include "certificates.hpp"
#include "gchat/server/audit_log.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"
#include "revocation.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

namespace v1 = identity::v1;
using wire::now_ms;
using wire::to_bytes;
using wire::to_string;

constexpr std::size_t kIdentityKeyBytes = 32;
// Unauthenticated connections fetch this many certificates, then are closed: a device needs one.
constexpr std::uint32_t kMaxFetchesBeforeAuth = 8;
// A person has a handful of devices; revoked ones stay listed.
constexpr std::uint32_t kMaxDevicesListed = 32;

}  // namespace

void Session::handle_fetch_certificate(std::uint64_t rid, const pb::FetchCertificate& m) {
  if (!relay_.certificate_mode())
    return send_error(rid, pb::NOT_SUPPORTED, "this relay pins no government root");
  if (state_ != State::authenticated && ++certificate_fetches_ > kMaxFetchesBeforeAuth) {
    refuse_and_close(pb::RATE_LIMITED, "at most " + std::to_string(kMaxFetchesBeforeAuth) +
                                           " certificates are served on a connection before authentication");
    return;
  }
  if (m.identity_key().size() != kIdentityKeyBytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "identity_key must be a 32-byte Ed25519 public key");
  }
  const Bytes key = to_bytes(m.identity_key());
  auto answer = std::make_shared<pb::CurrentCertificate>();
  with_store(
      [key, answer](Store& store, Outcome&) -> Status {
        GCHAT_TRY(auto current, store.current_certificate_for_key(key));
        if (!current) return {};  // none known: an empty answer
        GCHAT_TRY(auto issuer, newest_issuer(store, *current));
        answer->mutable_user_certificate()->ParseFromArray(current->certificate.data(),
                                                           static_cast<int>(current->certificate.size()));
        answer->mutable_issuer()->ParseFromArray(issuer.data(), static_cast<int>(issuer.size()));
        return {};
      },
      [rid, answer](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_current_certificate() = *answer;
        s.send_frame(f);
      });
}

void Session::handle_list_devices(std::uint64_t rid) {
  if (!relay_.certificate_mode())
    return send_error(rid, pb::NOT_SUPPORTED, "this relay pins no government root");
  const Bytes self = device_key_;
  // One answer fits in a frame whatever the chains weigh.
  const std::uint64_t budget = relay_.config().max_frame_bytes / 2;
  auto list = std::make_shared<pb::DeviceList>();
  with_store(
      [self, budget, list](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto me, store.device_identity(self));
        if (!me) return reject(o, pb::UNKNOWN_DEVICE, "this device has no identity on the relay");
        GCHAT_TRY(auto devices,
                  store.devices_of_person(me->second.agency_id, me->second.user_id, kMaxDevicesListed));
        std::uint64_t bytes = 0;
        for (const auto& d : devices) {
          bytes += d.public_key.size() + d.chain.size() + 32;
          if (bytes > budget) break;
          auto* info = list->add_devices();
          info->set_device_key(to_string(d.public_key));
          info->set_chain(to_string(d.chain));
          info->set_registered_ms(d.registered_ms);
          info->set_last_seen_ms(d.last_seen_ms);
          info->set_revoked(d.revoked);
        }
        return {};
      },
      [rid, list](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_device_list() = *list;
        s.send_frame(f);
      });
}

// The person's own revocation of a lost device: the same revocation as an administrator's
// revoke_device (the relay's list, the device out of its groups and streams at once, its
// connections closed), but without an administrator's act there is no evidence for the relay's
// Remove proposals: the requesting device commits the removals in the groups it is told.
void Session::handle_revoke_own_device(std::uint64_t rid, const pb::RevokeOwnDevice& m) {
  if (!relay_.certificate_mode())
    return send_error(rid, pb::NOT_SUPPORTED, "this relay pins no government root");
  if (m.device_key().size() != kIdentityKeyBytes) {
    return send_error(rid, pb::INVALID_ARGUMENT, "device_key must be a 32-byte Ed25519 public key");
  }
  const Bytes self = device_key_;
  const Bytes target = to_bytes(m.device_key());
  auto done = std::make_shared<pb::RevokeOwnDeviceOk>();
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto me, store.device_identity(self));
        if (!me) return reject(o, pb::UNKNOWN_DEVICE, "this device has no identity on the relay");
        GCHAT_TRY(auto alive, store.find_device(self));  // revoked meanwhile: its connection is closing
        if (!alive) return reject(o, pb::REVOKED, "this device is revoked");
        GCHAT_TRY(auto found, store.device_identity(target));
        if (!found) return reject(o, pb::UNKNOWN_DEVICE, "no device with this key has authenticated here");
        const auto& owner = me->second;
        if (found->second.agency_id != owner.agency_id || found->second.user_id != owner.user_id) {
          return reject(o, pb::FORBIDDEN,
                        "the device belongs to someone else; only its owner or an administrator "
                        "revokes it");
        }
        if (found->first == me->first) {
          return reject(o, pb::FORBIDDEN,
                        "a device does not revoke itself; revoke it from another of your devices");
        }
        GCHAT_TRY(auto current, store.find_device(target));  // not revoked yet
        if (!current) return reject(o, pb::REVOKED, "this device is already revoked");
        GCHAT_TRY(v1::RevocationList list, current_list(store));
        list.add_device_keys(to_string(target));
        GCHAT_TRY(auto revocation,
                  revoke_devices(store, *relay, std::move(list), {found->first}, nullptr, {}));
        const std::string who = owner.agency_id + "/" + owner.user_id;
        GCHAT_TRY(auto audit_seq,
                  append_audit(store, *relay, "device_revoked_by_owner", who + " " + log::fingerprint(self),
                               who + " " + log::fingerprint(target),
                               "revocation list " + std::to_string(revocation.list.number()) + ", " +
                                   std::to_string(revocation.expelled.size()) + " groups"));
        done->set_audit_seq(audit_seq);
        for (const auto& out : revocation.expelled) done->add_group_ids(to_string(out.group_id));
        o.after_commit = [relay, revocation = std::move(revocation)] {
          announce(*relay, revocation, "this device was revoked by another device of its owner");
        };
        return {};
      },
      [rid, done](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        log::info("device_revoked_by_owner", {{"device", log::fingerprint(s.device_key_)},
                                              {"groups", std::to_string(done->group_ids_size())}});
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_revoke_own_device_ok() = *done;
        s.send_frame(f);
      });
}

}  // namespace gchat::server
