// Revocation and expulsion shared by administrators' acts and a person's own devices (revocation.hpp).
#include "revocation.hpp"

#include "gchat/identity/certificate.hpp"
#include "mls_gate.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {
namespace v1 = identity::v1;
using wire::now_ms;
using wire::to_string;
}  // namespace

Result<v1::RevocationList> current_list(Store& store) {
  v1::RevocationList list;
  GCHAT_TRY(auto stored, store.latest_revocation_list());
  if (stored) {
    v1::Signed s;
    if (!s.ParseFromArray(stored->data(), static_cast<int>(stored->size())) ||
        !list.ParseFromString(s.body())) {
      return fail(Errc::storage_corrupt, "the stored revocation list does not parse");
    }
  }
  return list;
}

Bytes removal_evidence(const v1::AdminChain& admin, const v1::Signed& act) {
  v1::RemovalEvidence e;
  *e.mutable_admin() = admin;
  *e.mutable_act() = act;
  return identity::serialize_canonical(e);
}

Result<std::vector<Expulsion>> expel(Store& store, Relay& relay, const Members& members, BytesView evidence) {
  std::vector<Expulsion> outs;
  if (members.empty()) return outs;
  DeviceRef relay_ref = 0;
  if (!evidence.empty()) {
    const Bytes& relay_key = relay.signing_key().public_key();
    GCHAT_TRY(auto relay_device, store.find_device(relay_key));
    if (relay_device) {
      relay_ref = relay_device->ref;
    } else {
      GCHAT_TRY(auto registered, store.register_device(relay_key, now_ms()));
      relay_ref = registered.ref;
    }
  }
  for (const auto& [g, devices] : members) {
    Expulsion out;
    out.group = g;
    std::vector<Bytes> keys;
    for (const auto& [d, k] : devices) {
      keys.push_back(k);
      out.removed.push_back(d);
    }
    GCHAT_TRY(auto group_id, store.group_id_of(g));
    out.group_id = group_id.value_or(Bytes{});
    if (!evidence.empty()) {
      GCHAT_TRY(auto proposals, relay.gate().propose_removes(store, g, keys, relay.signing_key(), evidence));
      for (auto& p : proposals) {
        GCHAT_TRY(auto seq, store.append_message(g, pb::HANDSHAKE, relay_ref, p, now_ms()));
        out.proposals.emplace_back(seq, std::move(p));
      }
    }
    for (DeviceRef d : out.removed) GCHAT_TRY_STATUS(store.remove_member(g, d));
    outs.push_back(std::move(out));
  }
  return outs;
}

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

void ChannelLeaves::add(const ChannelRecord& channel, DeviceRef d) {
  auto& entry = by_channel_[channel.ref];
  entry.first = channel;
  entry.second.push_back(d);
}

Result<bool> ChannelLeaves::take(Store& store, GroupRef g, DeviceRef d) {
  GCHAT_TRY(auto channel, store.channel_of_stream(g));
  if (!channel) return false;
  add(*channel, d);
  return true;
}

Result<std::vector<ChannelDeparture>> ChannelLeaves::apply(Store& store) {
  std::vector<ChannelDeparture> out;
  for (auto& [ref, entry] : by_channel_) {
    GCHAT_TRY(auto departure, depart_channel(store, entry.first, entry.second));
    out.push_back(std::move(departure));
  }
  return out;
}

Result<Revocation> revoke_devices(Store& store, Relay& relay, v1::RevocationList list,
                                  const std::vector<DeviceRef>& devices, const v1::UserRef* user,
                                  BytesView evidence) {
  Revocation out;
  out.devices = devices;
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
    GCHAT_TRY_STATUS(store.mark_user_revoked(user->agency_id(), user->user_id(), now_ms()));
    GCHAT_TRY_STATUS(leaves.unsubscribe(store, user->agency_id(), user->user_id(), devices,
                                        [](const ChannelRecord&) { return true; }));
  }
  GCHAT_TRY(out.departures, leaves.apply(store));
  GCHAT_TRY(out.expelled, expel(store, relay, in_groups, evidence));
  list.set_number(list.number() + 1);
  list.set_issued_at(static_cast<std::int64_t>(now_ms() / 1000));
  out.signed_list = identity::make_signed(identity::SignedKind::revocation_list, list, relay.signing_key());
  GCHAT_TRY_STATUS(store.save_revocation_list(list.number(), as_bytes(out.signed_list.SerializeAsString())));
  out.list = std::move(list);
  return out;
}

void announce(Relay& relay, const Revocation& r, const std::string& reason) {
  relay.set_revocations(r.signed_list, r.list);
  deliver(relay, r.expelled);
  announce_departures(relay, r.departures);
  relay.close_devices(r.devices, pb::REVOKED, reason);
}

}  // namespace gchat::server
