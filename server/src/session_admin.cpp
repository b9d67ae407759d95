// Administrative acts and the revocation list. An act is signed by an administrator whose chain
// verifies to the pinned root; the relay checks the role and the agency, applies the act, extends
// and signs the revocation list, records the act in the audit log — all in one transaction — and
// then closes the connections of the devices it revoked.
#include <sodium.h>

#include "gchat/server/audit_log.hpp"
#include "gchat/identity/verify.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"
#include "admin_util.hpp"
#include "channels.hpp"
#include "mls_gate.hpp"
#include "wire.hpp"

#include <map>

namespace gchat::server {

namespace {

namespace v1 = identity::v1;
using wire::now_ms;
using wire::to_bytes;
using wire::to_string;

// Acts older or newer than this (by their issued_at) are refused: a captured act cannot be
// replayed later, and the relay need keep act ids only for as long (it keeps them for good).
constexpr std::int64_t kActWindowSeconds = 600;

// The list in force inside this transaction (earlier acts of the same batch included).
Result<v1::RevocationList> current_list(Store& store) {
  v1::RevocationList list;
  GCHAT_TRY(auto stored, store.latest_revocation_list());
  if (stored) {
    v1::Signed s;
    if (!s.ParseFromArray(stored->data(), static_cast<int>(stored->size())) || !list.ParseFromString(s.body())) {
      return fail(Errc::storage_corrupt, "the stored revocation list does not parse");
    }
  }
  return list;
}

// Removes devices from groups at once (no more deliveries) and, as each group's external sender,
// proposes the removal of their leaves; the proposals are stored like any handshake message, from
// the relay's own device record, and the next commit by any member applies them.
struct Expulsion {
  GroupRef group = 0;
  Bytes group_id;
  std::vector<std::pair<std::uint64_t, Bytes>> proposals;  // seq, encoded MLSMessage
  std::vector<DeviceRef> removed;
};
using Members = std::map<GroupRef, std::vector<std::pair<DeviceRef, Bytes>>>;

// The act behind an expulsion, as every member will check it (identity::RemovalEvidence).
Bytes removal_evidence(const v1::AdminChain& admin, const v1::Signed& act) {
  v1::RemovalEvidence e;
  *e.mutable_admin() = admin;
  *e.mutable_act() = act;
  return identity::serialize_canonical(e);
}

Result<std::vector<Expulsion>> expel(Store& store, Relay& relay, const Members& members, BytesView evidence) {
  std::vector<Expulsion> outs;
  if (members.empty()) return outs;
  const Bytes& relay_key = relay.signing_key().public_key();
  GCHAT_TRY(auto relay_device, store.find_device(relay_key));
  DeviceRef relay_ref = relay_device ? relay_device->ref : 0;
  if (!relay_device) {
    GCHAT_TRY(auto registered, store.register_device(relay_key, now_ms()));
    relay_ref = registered.ref;
  }
  for (const auto& [g, devices] : members) {
    Expulsion out;
    out.group = g;
    std::vector<Bytes> keys;
    for (const auto& [d, k] : devices) {
      keys.push_back(k);
      out.removed.push_back(d);
    }
    GCHAT_TRY(auto proposals, relay.gate().propose_removes(store, g, keys, relay.signing_key(), evidence));
    GCHAT_TRY(auto group_id, store.group_id_of(g));
    out.group_id = group_id.value_or(Bytes{});
    for (auto& p : proposals) {
      GCHAT_TRY(auto seq, store.append_message(g, pb::HANDSHAKE, relay_ref, p, now_ms()));
      out.proposals.emplace_back(seq, std::move(p));
    }
    for (DeviceRef d : out.removed) GCHAT_TRY_STATUS(store.remove_member(g, d));
    outs.push_back(std::move(out));
  }
  return outs;
}

// After the commit: the proposals go to the remaining members, the expelled devices leave.
void deliver(Relay& relay, const std::vector<Expulsion>& outs) {
  const std::string relay_key = to_string(relay.signing_key().public_key());
  for (const auto& out : outs) {
    for (const auto& [seq, payload] : out.proposals) {
      pb::ServerFrame f;
      auto* d = f.mutable_delivery();
      d->set_group_id(to_string(out.group_id));
      d->set_seq(seq);
      d->set_kind(pb::HANDSHAKE);
      d->set_sender_key(relay_key);
      d->set_payload(to_string(payload));
      d->set_server_time_ms(now_ms());
      relay.fan_out(out.group, seq, std::make_shared<std::string>(f.SerializeAsString()));
    }
    relay.members_removed(out.group, out.removed);
  }
}

// Channel streams among a device's groups: a stream has no MLS state, its devices simply leave it.
struct ChannelLeaves {
  std::map<ChannelRef, std::pair<ChannelRecord, std::vector<DeviceRef>>> by_channel;
  void add(const ChannelRecord& channel, DeviceRef d) {
    auto& entry = by_channel[channel.ref];
    entry.first = channel;
    entry.second.push_back(d);
  }
  Result<bool> take(Store& store, GroupRef g, DeviceRef d) {
    GCHAT_TRY(auto channel, store.channel_of_stream(g));
    if (!channel) return false;
    add(*channel, d);
    return true;
  }
  // Ends the person's subscriptions to the channels `ends` selects; their devices leave them.
  template <typename Ends>
  Status unsubscribe(Store& store, const std::string& agency, const std::string& user, const std::vector<DeviceRef>& devices,
                     Ends ends) {
    GCHAT_TRY(auto subscriptions, store.subscriptions_of(agency, user));
    for (ChannelRef ref : subscriptions) {
      GCHAT_TRY(auto c, store.channel_by_ref(ref));
      if (!c || !ends(*c)) continue;
      GCHAT_TRY(bool removed, store.remove_subscription(c->ref, agency, user));
      (void)removed;
      for (DeviceRef d : devices) add(*c, d);
    }
    return {};
  }
  Result<std::vector<ChannelDeparture>> apply(Store& store) {
    std::vector<ChannelDeparture> out;
    for (auto& [ref, entry] : by_channel) {
      GCHAT_TRY(auto departure, depart_channel(store, entry.first, entry.second));
      out.push_back(std::move(departure));
    }
    return out;
  }
};

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

  const std::string actor = admin->agency.agency_id + "/" + admin->admin_id;
  const std::string agency = admin->agency.agency_id;
  const Bytes act_id = act_id_of(m.act().body());
  std::optional<Bytes> device_key;
  std::optional<v1::UserRef> user;
  switch (act->act_case()) {
    case v1::AdminAct::kSetClearance:
      return apply_clearance(rid, *admin, m.admin(), act->set_clearance(), m.act());
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
        Members in_groups;
        ChannelLeaves leaves;
        for (DeviceRef d : devices) {
          GCHAT_TRY_STATUS(store.mark_device_revoked(d, now_ms()));
          GCHAT_TRY(auto key, store.device_key(d));
          GCHAT_TRY(auto groups, store.groups_of_device(d));
          for (GroupRef g : groups) {
            GCHAT_TRY(bool stream, leaves.take(store, g, d));
            if (!stream) in_groups[g].emplace_back(d, key);
          }
        }
        if (user) {
          GCHAT_TRY_STATUS(leaves.unsubscribe(store, user->agency_id(), user->user_id(), devices,
                                              [](const ChannelRecord&) { return true; }));
        }
        GCHAT_TRY(auto departures, leaves.apply(store));
        GCHAT_TRY(auto expelled, expel(store, *relay, in_groups, evidence));
        list.set_number(list.number() + 1);
        list.set_issued_at(static_cast<std::int64_t>(now_ms() / 1000));
        auto signed_list = identity::make_signed(identity::SignedKind::revocation_list, list, relay->signing_key());
        GCHAT_TRY_STATUS(store.save_revocation_list(list.number(), as_bytes(signed_list.SerializeAsString())));
        GCHAT_TRY(auto audit_seq, append_audit(store, *relay, kind, actor, subject,
                                                   "revocation list " + std::to_string(list.number())));
        applied->set_audit_seq(audit_seq);
        applied->set_revocation_list_number(list.number());
        o.after_commit = [relay, signed_list, list, devices, expelled, departures] {
          relay->set_revocations(signed_list, list);
          deliver(*relay, expelled);
          announce_departures(*relay, departures);
          relay->close_devices(devices, pb::REVOKED, "this device was revoked by an administrator");
        };
        return {};
      },
      admin_act_reply(rid, applied, actor));
}

// A renewed user certificate with another clearance. The relay checks it as every verifier would
// (signer's roles, agency, cap), records the user's new clearance, revokes the older certificates,
// stops delivering to the user's devices in every group above the new level at once, and proposes
// their removal in those groups as the groups' external sender; the members' clients commit it.
void Session::apply_clearance(std::uint64_t rid, const identity::VerifiedAdmin& admin, const v1::AdminChain& admin_chain,
                              const v1::Signed& certificate, const v1::Signed& act) {
  const std::int64_t now_s = static_cast<std::int64_t>(now_ms() / 1000);
  auto revoked = relay_.revocations();
  auto user = identity::verify_user(admin, certificate, identity::TrustAnchor{relay_.root_key(), now_s, revoked.get()});
  if (!user.ok()) {
    const auto code = user.error().code == Errc::cert_role_missing || user.error().code == Errc::cert_mismatch ||
                              user.error().code == Errc::cert_clearance_above_cap
                          ? pb::FORBIDDEN
                          : code_for(user.error());
    return send_error(rid, code, user.error().to_string());
  }
  const Bytes act_id = act_id_of(act.body());
  const std::string actor = admin.agency.agency_id + "/" + admin.admin_id;
  const auto verified = *user;
  const Bytes evidence = removal_evidence(admin_chain, act);
  auto applied = std::make_shared<pb::AdminActOk>();
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY_STATUS(claim_act(store, o, act_id));
        const std::string who = verified.agency.agency_id + "/" + verified.user_id;
        GCHAT_TRY(auto devices, store.devices_of_user(verified.agency.agency_id, verified.user_id));
        if (devices.empty()) return reject(o, pb::UNKNOWN_DEVICE, "user '" + who + "' has no device on this relay");
        GCHAT_TRY(v1::RevocationList list, current_list(store));
        std::int32_t old_level = -1;
        std::vector<Bytes> keys;
        Members to_remove;
        ChannelLeaves leaves;
        for (DeviceRef d : devices) {
          GCHAT_TRY(auto key, store.device_key(d));
          GCHAT_TRY(auto found, store.device_identity(key));
          if (found && found->second.user_serial != verified.serial) {
            list.add_user_serials(found->second.user_serial);
            old_level = found->second.clearance;
          }
          // The directory's chain of the device now carries the renewed certificate and its signer.
          Bytes chain;
          if (found && !found->second.chain.empty()) {
            v1::Chain c;
            if (c.ParseFromArray(found->second.chain.data(), static_cast<int>(found->second.chain.size()))) {
              *c.mutable_agency() = admin_chain.agency();
              *c.mutable_admin() = admin_chain.admin();
              *c.mutable_user() = certificate;
              chain = to_bytes(c.SerializeAsString());
            }
          }
          GCHAT_TRY_STATUS(store.set_device_identity(
              d,
              DeviceIdentity{verified.agency.agency_id, verified.user_id, static_cast<std::int32_t>(verified.clearance),
                             verified.serial, std::move(chain), verified.name_th, verified.name_en},
              now_ms()));
          GCHAT_TRY(auto groups, store.groups_of_device(d));
          for (GroupRef g : groups) {
            GCHAT_TRY(auto channel, store.channel_of_stream(g));
            if (channel) continue;  // channels: by subscription, below
            GCHAT_TRY(auto group_level, relay->gate().level_of(store, g));
            if (!identity::at_least(verified.clearance, group_level)) to_remove[g].emplace_back(d, key);
          }
        }
        // Subscriptions to channels above the new level end; the person's devices leave their streams.
        GCHAT_TRY_STATUS(leaves.unsubscribe(store, verified.agency.agency_id, verified.user_id, devices,
                                            [&](const ChannelRecord& c) {
                                              const auto level = identity::clearance_from_int(c.level)
                                                                     .value_or(identity::kHighestClearance);
                                              return !identity::at_least(verified.clearance, level);
                                            }));
        GCHAT_TRY(auto departures, leaves.apply(store));
        GCHAT_TRY(auto outs, expel(store, *relay, to_remove, evidence));
        if (old_level > static_cast<std::int32_t>(verified.clearance)) {
          list.set_number(list.number() + 1);
          list.set_issued_at(now_s);
        }
        identity::v1::Signed signed_list;
        if (list.number() > revoked->number()) {
          signed_list = identity::make_signed(identity::SignedKind::revocation_list, list, relay->signing_key());
          GCHAT_TRY_STATUS(store.save_revocation_list(list.number(), as_bytes(signed_list.SerializeAsString())));
        }
        GCHAT_TRY(auto audit_seq,
                  append_audit(store, *relay, "clearance_changed", actor, who,
                               std::to_string(old_level) + " -> " + std::to_string(static_cast<int>(verified.clearance)) +
                                   ", removed from " + std::to_string(to_remove.size()) + " groups"));
        applied->set_audit_seq(audit_seq);
        applied->set_revocation_list_number(list.number());
        o.after_commit = [relay, outs, signed_list, list, departures] {
          if (!signed_list.body().empty()) relay->set_revocations(signed_list, list);
          deliver(*relay, outs);
          announce_departures(*relay, departures);
        };
        return {};
      },
      admin_act_reply(rid, applied, actor));
}

}  // namespace gchat::server
