// Administrative acts and the revocation list. An act is signed by an administrator whose chain
// verifies to the pinned root; the relay checks the role and the agency, applies the act, extends
// and signs the revocation list, records the act in the audit log — all in one transaction — and
// then closes the connections of the devices it revoked.
#include <sodium.h>

#include <algorithm>
#include <set>

#include "admin_util.hpp"
#include "certificates.hpp"
#include "channels.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/server/audit_log.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"
#include "mls_gate.hpp"
#include "revocation.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

namespace v1 = identity::v1;
using wire::now_ms;
using wire::to_bytes;
using wire::to_string;

// Acts older or newer than this (by their issued_at) are refused: a captured act cannot be
// replayed later, and the relay need keep act ids only for as long (it keeps them for good).
constexpr std::int64_t kActWindowSeconds = 600;

// The certificates a clearance change supersedes, to be revoked when the clearance went down. A
// renewal's basis goes with it: every renewal standing on that basis is then revoked too.
class Superseded {
 public:
  explicit Superseded(const v1::RevocationList& in_force) : in_force_(in_force) {}
  void add(std::uint64_t serial) {
    if (!in_force_.user_serial(serial)) serials_.insert(serial);
  }
  void add(const v1::Signed& certificate) {
    v1::UserCertificate body;
    if (!body.ParseFromString(certificate.body())) return;
    add(body.serial());
    v1::UserCertificate basis;
    if (body.has_basis() && basis.ParseFromString(body.basis().body())) add(basis.serial());
  }
  void into(v1::RevocationList& list) const {
    for (auto serial : serials_) list.add_user_serials(serial);
  }

 private:
  identity::Revocations in_force_;
  std::set<std::uint64_t> serials_;
};

// identity::check_renewal reports cert_renewal_changed both for a renewal that changes the person
// and for one that is not newer. The first is FORBIDDEN (a renewal never gives more); the second is
// stale: REPLAYED when it names the current serial again, INVALID_ARGUMENT otherwise.
Status check_renews(Outcome& o, const v1::UserCertificate& current, const v1::UserCertificate& renewed) {
  auto checked = identity::check_renewal(current, renewed);
  if (checked.ok()) return {};
  v1::UserCertificate newer = renewed;  // the same content with a serial and expiry that are newer
  newer.set_serial(current.serial() + 1);
  newer.mutable_validity()->set_not_after(
      std::max(renewed.validity().not_after(), current.validity().not_after() + 1));
  if (!identity::check_renewal(current, newer).ok())
    return reject(o, pb::FORBIDDEN, checked.error().to_string());
  if (renewed.serial() == current.serial()) {
    return reject(o, pb::REPLAYED,
                  "certificate " + std::to_string(renewed.serial()) + " is already the current one of '" +
                      current.agency_id() + "/" + current.user_id() + "'");
  }
  return reject(o, pb::INVALID_ARGUMENT, checked.error().to_string());
}

// A user certificate an act carries, verified under the act's signer now as every verifier would
// (for the issuing service, its basis too), with its registry records.
struct Carried {
  identity::VerifiedUser user;
  CertificateRecords records;
};
Result<Carried> carried_certificate(const Relay& relay, const identity::VerifiedAdmin& admin,
                                    const v1::AdminChain& admin_chain, const v1::Signed& certificate) {
  const std::int64_t now_s = static_cast<std::int64_t>(now_ms() / 1000);
  const auto revoked = relay.revocations();
  GCHAT_TRY(auto user, identity::verify_user(admin, certificate,
                                             identity::TrustAnchor{relay.root_key(), now_s, revoked.get()}));
  GCHAT_TRY(auto records, certificate_records(certificate, admin_chain));
  return Carried{std::move(user), std::move(records)};
}

}  // namespace

// The answer to an administrative act once its storage step is done: AdminActOk, or the error.
std::function<void(Session&, Outcome&)> Session::admin_act_reply(std::uint64_t rid, std::shared_ptr<pb::AdminActOk> reply,
                                                               std::string actor) {
  return [rid, reply = std::move(reply), actor = std::move(actor)](Session& s, Outcome& o) {
    if (!o.status.ok()) return s.send_outcome_error(rid, o);
    if (reply->audit_seq() != 0) {
      log::info("admin_act", {{"actor", actor}, {"audit_seq", std::to_string(reply->audit_seq())}});
    }
    pb::ServerFrame f;
    f.set_request_id(rid);
    *f.mutable_admin_act_ok() = *reply;
    s.send_frame(f);
  };
}

void Session::handle_fetch_revocations(std::uint64_t rid) {
  pb::ServerFrame f;
  f.set_request_id(rid);
  *f.mutable_revocations()->mutable_list() = relay_.signed_revocations();
  const auto& key = relay_.signing_key().public_key();
  f.mutable_revocations()->set_relay_key(key.data(), key.size());
  send_frame(f);
}

void Session::handle_submit_admin_act(std::uint64_t rid, const pb::SubmitAdminAct& m) {
  if (!relay_.certificate_mode()) {
    return send_error(rid, pb::NOT_SUPPORTED, "this relay pins no government root; administrative acts need one");
  }
  const std::int64_t now_s = static_cast<std::int64_t>(now_ms() / 1000);
  auto revoked = relay_.revocations();
  auto admin = identity::verify_admin(m.admin(), identity::TrustAnchor{relay_.root_key(), now_s, revoked.get()});
  if (!admin.ok()) return send_error(rid, code_for(admin.error()), admin.error().to_string());
  auto act = identity::open_signed<v1::AdminAct>(identity::SignedKind::admin_act, m.act(), admin->admin_key,
                                                 "administrative act");
  if (!act.ok()) return send_error(rid, pb::CERTIFICATE_REJECTED, act.error().to_string());
  if (act->issued_at() < now_s - kActWindowSeconds || act->issued_at() > now_s + kActWindowSeconds) {
    return send_error(rid, pb::INVALID_ARGUMENT, "the act was issued more than 10 minutes from the relay's clock");
  }
  // A renewed agency or administrator certificate reaches the relay when its holder next acts.
  record_admin_chain(m.admin());

  const std::string actor = admin->agency.agency_id + "/" + admin->admin_id;
  const std::string agency = admin->agency.agency_id;
  const Bytes act_id = act_id_of(m.act().body());
  std::optional<Bytes> device_key;
  std::optional<v1::UserRef> user;
  switch (act->act_case()) {
    case v1::AdminAct::kSetClearance:
      return apply_clearance(rid, *admin, m.admin(), act->set_clearance(), m.act());
    case v1::AdminAct::kRenewUser:
      return apply_renewal(rid, *admin, m.admin(), act->renew_user(), m.act());
    case v1::AdminAct::kGrantEnrolment:
    case v1::AdminAct::kIssueUser:
    case v1::AdminAct::kListEnrolments:
    case v1::AdminAct::kGetUser:
    case v1::AdminAct::kListUsers: return handle_enrolment_act(rid, *admin, m.admin(), *act, m.act().body());
    case v1::AdminAct::kSetChannel:
    case v1::AdminAct::kSubscribeAgency: return handle_channel_act(rid, *admin, m.admin(), *act, m.act().body());
    default: break;
  }
  if (!admin->has(v1::USER_ADMIN)) {
    return send_error(rid, pb::FORBIDDEN, "administrator '" + admin->admin_id + "' may not revoke devices or users");
  }
  switch (act->act_case()) {
    case v1::AdminAct::kRevokeDevice:
      if (act->revoke_device().size() != 32) return send_error(rid, pb::INVALID_ARGUMENT, "a device key is 32 bytes");
      device_key = to_bytes(act->revoke_device());
      break;
    case v1::AdminAct::kRevokeUser:
      if (!identity::valid_id(act->revoke_user().agency_id()) || !identity::valid_id(act->revoke_user().user_id())) {
        return send_error(rid, pb::INVALID_ARGUMENT, "the user to revoke is not a valid agency and user id");
      }
      user = act->revoke_user();
      break;
    case v1::AdminAct::ACT_NOT_SET: return send_error(rid, pb::MALFORMED_FRAME, "the act names no action");
    default:
      return send_error(rid, pb::NOT_SUPPORTED, "this relay does not apply that kind of act yet");
  }

  auto applied = std::make_shared<pb::AdminActOk>();
  Relay* relay = &relay_;
  const Bytes evidence = removal_evidence(m.admin(), m.act());
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY_STATUS(claim_act(store, o, act_id));
        GCHAT_TRY(v1::RevocationList list, current_list(store));
        std::vector<DeviceRef> devices;
        std::string kind, subject;
        if (device_key) {
          GCHAT_TRY(auto found, store.device_identity(*device_key));
          if (!found) return reject(o, pb::UNKNOWN_DEVICE, "no device with this key has authenticated here");
          if (found->second.agency_id != agency) {
            return reject(o, pb::FORBIDDEN, "the device belongs to agency '" + found->second.agency_id +
                                                "', not to the administrator's agency '" + agency + "'");
          }
          devices.push_back(found->first);
          list.add_device_keys(to_string(*device_key));
          kind = "device_revoked";
          subject = found->second.agency_id + "/" + found->second.user_id + " " + log::fingerprint(*device_key);
        } else {
          if (user->agency_id() != agency) {
            return reject(o, pb::FORBIDDEN, "administrators of '" + agency + "' may not revoke users of '" +
                                                user->agency_id() + "'");
          }
          GCHAT_TRY(devices, store.devices_of_user(user->agency_id(), user->user_id()));
          *list.add_users() = *user;
          kind = "user_revoked";
          subject = user->agency_id() + "/" + user->user_id();
        }
        GCHAT_TRY(auto revocation,
                  revoke_devices(store, *relay, std::move(list), devices, user ? &*user : nullptr, evidence));
        GCHAT_TRY(auto audit_seq,
                  append_audit(store, *relay, kind, actor, subject,
                               "revocation list " + std::to_string(revocation.list.number())));
        applied->set_audit_seq(audit_seq);
        applied->set_revocation_list_number(revocation.list.number());
        o.after_commit = [relay, revocation = std::move(revocation)] {
          announce(*relay, revocation, "this device was revoked by an administrator");
          refresh_expiry_gauges(*relay);
        };
        return {};
      },
      admin_act_reply(rid, applied, actor));
}

void Session::record_admin_chain(const v1::AdminChain& chain) {
  auto record = admin_chain_record(chain);
  if (!record.ok()) return;  // verified already: cannot happen
  Relay* relay = &relay_;
  with_store(
      [record = std::move(*record), relay](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(bool kept, store.put_admin_chain(record));
        if (kept) o.after_commit = [relay] { refresh_expiry_gauges(*relay); };
        return {};
      },
      [](Session&, Outcome& o) {
        if (!o.status.ok()) log::error("admin_chain_not_recorded", {{"error", o.status.error().to_string()}});
      });
}

// A renewed user certificate with another clearance. The relay checks it as every verifier would
// (signer's roles, agency, cap), makes it the user's current certificate, revokes the older ones
// when the clearance went down, stops delivering to the user's devices in every group above the new
// level at once, and proposes their removal in those groups as the groups' external sender; the
// members' clients commit it. The person's devices are told to fetch the new certificate.
void Session::apply_clearance(std::uint64_t rid, const identity::VerifiedAdmin& admin, const v1::AdminChain& admin_chain,
                              const v1::Signed& certificate, const v1::Signed& act) {
  if (!admin.has(v1::USER_ADMIN)) {
    // The issuing service renews through renew_user, where a renewal is checked against the current
    // certificate.
    return send_error(rid, pb::FORBIDDEN, "administrator '" + admin.admin_id + "' may not change clearances");
  }
  auto carried = carried_certificate(relay_, admin, admin_chain, certificate);
  if (!carried.ok()) return send_error(rid, issuance_code(carried.error()), carried.error().to_string());
  const std::int64_t now_s = static_cast<std::int64_t>(now_ms() / 1000);
  const Bytes act_id = act_id_of(act.body());
  const std::string actor = admin.agency.agency_id + "/" + admin.admin_id;
  const auto verified = carried->user;
  const Bytes evidence = removal_evidence(admin_chain, act);
  auto applied = std::make_shared<pb::AdminActOk>();
  Relay* relay = &relay_;
  with_store(
      [=, records = std::move(carried->records)](Store& store, Outcome& o) -> Status {
        GCHAT_TRY_STATUS(claim_act(store, o, act_id));
        const std::string who = verified.agency.agency_id + "/" + verified.user_id;
        GCHAT_TRY(auto devices, store.devices_of_user(verified.agency.agency_id, verified.user_id));
        if (devices.empty())
          return reject(o, pb::UNKNOWN_DEVICE, "user '" + who + "' has no device on this relay");
        GCHAT_TRY(v1::RevocationList list, current_list(store));
        std::int32_t old_level = -1;
        Superseded superseded(list);
        // The current certificate (a renewal no device has used yet, too) goes with the old level.
        GCHAT_TRY(auto current, current_certificate_of(store, verified.agency.agency_id, verified.user_id));
        if (current && current->serial != verified.serial) {
          v1::Signed signed_current;
          v1::UserCertificate body;
          if (signed_current.ParseFromArray(current->certificate.data(),
                                            static_cast<int>(current->certificate.size())) &&
              body.ParseFromString(signed_current.body())) {
            superseded.add(signed_current);
            old_level = static_cast<std::int32_t>(body.clearance());
          }
        }
        Members to_remove;
        ChannelLeaves leaves;
        for (DeviceRef d : devices) {
          GCHAT_TRY(auto key, store.device_key(d));
          GCHAT_TRY(auto found, store.device_identity(key));
          // The directory's chain of the device now carries the renewed certificate and its signer.
          Bytes chain;
          if (found && !found->second.chain.empty()) {
            v1::Chain c;
            if (c.ParseFromArray(found->second.chain.data(), static_cast<int>(found->second.chain.size()))) {
              if (found->second.user_serial != verified.serial) superseded.add(c.user());
              *c.mutable_agency() = admin_chain.agency();
              *c.mutable_admin() = admin_chain.admin();
              *c.mutable_user() = certificate;
              chain = to_bytes(c.SerializeAsString());
            }
          }
          if (found && found->second.user_serial != verified.serial) {
            superseded.add(found->second.user_serial);
            old_level = std::max(old_level, found->second.clearance);
          }
          GCHAT_TRY_STATUS(store.set_device_identity(
              d,
              DeviceIdentity{verified.agency.agency_id, verified.user_id, static_cast<std::int32_t>(verified.clearance),
                             verified.serial, std::move(chain), verified.name_th, verified.name_en},
              now_ms()));
          // Its key packages carry the old certificate.
          GCHAT_TRY_STATUS(store.delete_key_packages(d));
          GCHAT_TRY(auto groups, store.groups_of_device(d));
          for (GroupRef g : groups) {
            GCHAT_TRY(auto channel, store.channel_of_stream(g));
            if (channel) continue;  // channels: by subscription, below
            GCHAT_TRY(auto group_level, relay->gate().level_of(store, g));
            if (!identity::at_least(verified.clearance, group_level)) to_remove[g].emplace_back(d, key);
          }
        }
        GCHAT_TRY_STATUS(store_certificate(store, records));
        // Subscriptions to channels above the new level end; the person's devices leave their streams.
        GCHAT_TRY_STATUS(leaves.unsubscribe(store, verified.agency.agency_id, verified.user_id, devices,
                                            [&](const ChannelRecord& c) {
                                              const auto level = identity::clearance_from_int(c.level)
                                                                     .value_or(identity::kHighestClearance);
                                              return !identity::at_least(verified.clearance, level);
                                            }));
        GCHAT_TRY(auto departures, leaves.apply(store));
        GCHAT_TRY(auto outs, expel(store, *relay, to_remove, evidence));
        // Only a lower clearance revokes: the older certificates would still grant the higher one.
        const bool lowered = old_level > static_cast<std::int32_t>(verified.clearance);
        identity::v1::Signed signed_list;
        if (lowered) {
          superseded.into(list);
          list.set_number(list.number() + 1);
          list.set_issued_at(now_s);
          signed_list = identity::make_signed(identity::SignedKind::revocation_list, list, relay->signing_key());
          GCHAT_TRY_STATUS(store.save_revocation_list(list.number(), as_bytes(signed_list.SerializeAsString())));
        }
        GCHAT_TRY(auto audit_seq,
                  append_audit(store, *relay, "clearance_changed", actor, who,
                               std::to_string(old_level) + " -> " + std::to_string(static_cast<int>(verified.clearance)) +
                                   ", removed from " + std::to_string(to_remove.size()) + " groups"));
        applied->set_audit_seq(audit_seq);
        applied->set_revocation_list_number(list.number());
        const auto serial = verified.serial;
        o.after_commit = [relay, outs, signed_list, list, departures, devices, serial] {
          if (!signed_list.body().empty()) relay->set_revocations(signed_list, list);
          deliver(*relay, outs);
          announce_departures(*relay, departures);
          relay->push_to(devices, certificate_notice(serial));
          refresh_expiry_gauges(*relay);
        };
        return {};
      },
      admin_act_reply(rid, applied, actor));
}

// A user certificate renewed by the agency's issuing service (RENEWAL) or a user administrator:
// verified under its signer as every verifier would (for the issuing service, its basis too), then
// checked against the relay's current certificate of the person — the same person, names,
// clearance, rights and key, and newer — and refused for a revoked person or a superseded
// certificate, so renewal never resurrects. It becomes current; the person's devices are told.
void Session::apply_renewal(std::uint64_t rid, const identity::VerifiedAdmin& admin,
                            const v1::AdminChain& admin_chain, const v1::Signed& certificate,
                            const v1::Signed& act) {
  if (!admin.has(v1::RENEWAL) && !admin.has(v1::USER_ADMIN)) {
    return send_error(rid, pb::FORBIDDEN,
                      "administrator '" + admin.admin_id + "' may not renew certificates");
  }
  v1::UserCertificate renewed;
  if (auto parsed = identity::parse_canonical(as_bytes(certificate.body()), renewed, "renewed certificate");
      !parsed.ok()) {
    return send_error(rid, pb::CERTIFICATE_REJECTED, parsed.error().to_string());
  }
  const std::string agency = admin.agency.agency_id;
  if (renewed.agency_id() != agency) {
    return send_error(
        rid, pb::FORBIDDEN,
        "administrators of '" + agency + "' may not renew certificates of '" + renewed.agency_id() + "'");
  }
  auto carried = carried_certificate(relay_, admin, admin_chain, certificate);
  if (!carried.ok()) return send_error(rid, issuance_code(carried.error()), carried.error().to_string());
  const Bytes act_id = act_id_of(act.body());
  const std::string actor = agency + "/" + admin.admin_id;
  auto applied = std::make_shared<pb::AdminActOk>();
  Relay* relay = &relay_;
  with_store(
      [=, records = std::move(carried->records)](Store& store, Outcome& o) -> Status {
        GCHAT_TRY_STATUS(claim_act(store, o, act_id));
        const std::string who = agency + "/" + renewed.user_id();
        GCHAT_TRY(auto current, current_certificate_of(store, agency, renewed.user_id()));
        if (!current)
          return reject(o, pb::UNKNOWN_DEVICE, "the relay knows no certificate of '" + who + "' to renew");
        // The list in force in this transaction: a revocation earlier in the same batch counts.
        GCHAT_TRY(v1::RevocationList list, current_list(store));
        const identity::Revocations in_force(list);
        if (current->revoked || in_force.user(agency, renewed.user_id())) {
          return reject(o, pb::REVOKED,
                        "'" + who + "' is revoked; a renewal never restores a revoked person");
        }
        v1::Signed signed_current;
        v1::UserCertificate current_body;
        if (!signed_current.ParseFromArray(current->certificate.data(),
                                           static_cast<int>(current->certificate.size())) ||
            !current_body.ParseFromString(signed_current.body())) {
          return fail(Errc::storage_corrupt, "the stored certificate of '" + who + "' does not parse");
        }
        v1::UserCertificate current_basis;
        if (in_force.user_serial(current_body.serial()) ||
            (current_body.has_basis() && current_basis.ParseFromString(current_body.basis().body()) &&
             in_force.user_serial(current_basis.serial()))) {
          return reject(o, pb::REVOKED,
                        "the current certificate " + std::to_string(current_body.serial()) + " of '" + who +
                            "' is revoked (superseded); it cannot be renewed");
        }
        GCHAT_TRY_STATUS(check_renews(o, current_body, renewed));
        GCHAT_TRY_STATUS(store_certificate(store, records));
        GCHAT_TRY(auto devices, store.devices_of_user(agency, renewed.user_id()));
        GCHAT_TRY(auto audit_seq, append_audit(store, *relay, "certificate_renewed", actor, who,
                                               "serial " + std::to_string(renewed.serial()) + ", not_after " +
                                                   std::to_string(renewed.validity().not_after())));
        applied->set_audit_seq(audit_seq);
        applied->set_revocation_list_number(list.number());
        o.after_commit = [relay, devices, serial = renewed.serial()] {
          relay->push_to(devices, certificate_notice(serial));
          refresh_expiry_gauges(*relay);
        };
        return {};
      },
      admin_act_reply(rid, applied, actor));
}

}  // namespace gchat::server
