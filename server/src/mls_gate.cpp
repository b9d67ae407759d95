#include "mls_gate.hpp"

#include <algorithm>

#include "channels.hpp"
#include "gchat/identity/channel.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

const crypto::CipherSuite& suite() { return **crypto::CipherSuite::from_id(crypto::kDefaultSuite); }

// Why a handshake was refused, as the device is told.
Status refuse(Outcome& o, const Error& e) {
  pb::ErrorCode code = pb::INVALID_HANDSHAKE;
  switch (e.code) {
    case Errc::clearance_too_low:
    case Errc::agency_not_allowed:
    case Errc::policy_not_permitted: code = pb::POLICY_REJECTED; break;
    case Errc::cert_revoked: code = pb::REVOKED; break;
    default:
      if (static_cast<std::uint32_t>(e.code) >= 600 && static_cast<std::uint32_t>(e.code) < 700) {
        code = pb::CERTIFICATE_REJECTED;
      }
  }
  return reject(o, code, e.to_string());
}

template <typename T>
Result<T> checked(Result<T> r, Outcome& o) {
  if (!r.ok()) return Unexpected{refuse(o, r.error()).error()};
  return r;
}

// A channel's publishers' group belongs to its channel: a policy of kind CHANNEL, at the channel's
// level, listing as publishers only people the channel's descriptor lists (its members, checked by
// the verifier, are people its policy lists with the PUBLISH right). Anyone else holding the right
// could otherwise take a channel's group id first, and with it the channel's key.
Status channel_rule(Store& store, const mls::PublicGroup& state) {
  GCHAT_TRY(auto policy, identity::policy_of(state.context().extensions));
  const auto channel_id = identity::channel_of_publishers_group(state.context().group_id);
  if (!channel_id) {
    if (policy.kind() == identity::v1::CHANNEL) {
      return fail(Errc::policy_not_permitted, "a CHANNEL policy belongs to a channel's publishers' group only");
    }
    return {};
  }
  if (policy.kind() != identity::v1::CHANNEL) {
    return fail(Errc::policy_not_permitted, "a channel's publishers' group has a CHANNEL policy");
  }
  GCHAT_TRY(auto channel, store.find_channel(*channel_id));
  if (!channel) return fail(Errc::policy_not_permitted, "no channel with this id: an administrator creates it first");
  GCHAT_TRY(auto descriptor, channel_descriptor(*channel));
  if (policy.level() != descriptor.level()) {
    return fail(Errc::policy_not_permitted, "the publishers' group is not at the channel's level");
  }
  for (const auto& p : policy.publishers()) {
    const bool listed = std::any_of(descriptor.publishers().begin(), descriptor.publishers().end(),
                                    [&](const identity::v1::UserRef& d) {
                                      return d.agency_id() == p.agency_id() && d.user_id() == p.user_id();
                                    });
    if (!listed) {
      return fail(Errc::policy_not_permitted, p.agency_id() + "/" + p.user_id() + " is not a publisher of this channel");
    }
  }
  return {};
}

}  // namespace

MlsGate::MlsGate(Bytes root_key, Bytes relay_key)
    : verifier_(std::make_shared<identity::MemberVerifier>(std::move(root_key), std::move(relay_key))) {}

Result<mls::PublicGroup> MlsGate::load(Store& store, GroupRef group) {
  GCHAT_TRY(auto state, store.group_state(group));
  if (!state) return fail(Errc::not_found, "the group has no MLS state on this relay");
  return mls::PublicGroup::deserialize(suite(), *state, verifier_->rules());
}

Status MlsGate::save(Store& store, GroupRef group, const mls::PublicGroup& state) {
  GCHAT_TRY(auto policy, identity::policy_of(state.context().extensions));
  return store.set_group_state(group, state.epoch(), state.serialize(), static_cast<std::int32_t>(policy.level()));
}

Result<identity::Clearance> MlsGate::level_of(Store& store, GroupRef group) {
  // save() keeps the policy's level beside the state, so no state need be decoded for it.
  GCHAT_TRY(auto level, store.group_level(group));
  if (!level) return fail(Errc::not_found, "the group has no MLS state on this relay");
  auto clearance = identity::clearance_from_int(*level);
  if (!clearance) return fail(Errc::storage_corrupt, "a stored group level is out of range");
  return *clearance;
}

Result<DeviceRef> MlsGate::device_for_leaf(Store& store, const mls::LeafNode& leaf) {
  // The leaf's credential was verified with the commit; this is the cached result.
  GCHAT_TRY(auto verified, verifier_->verify(leaf.credential, leaf.signature_key));
  GCHAT_TRY(auto found, store.find_device(leaf.signature_key));
  DeviceRef ref = 0;
  if (found) {
    ref = found->ref;
  } else {
    GCHAT_TRY(auto registered, store.register_device(leaf.signature_key, wire::now_ms()));
    ref = registered.ref;
  }
  const auto& u = verified.user;
  GCHAT_TRY_STATUS(store.set_device_identity(
      ref,
      DeviceIdentity{u.agency.agency_id, u.user_id, static_cast<std::int32_t>(u.clearance), u.serial,
                     leaf.credential.identity, u.name_th, u.name_en},
      wire::now_ms()));
  return ref;
}

Result<MlsGate::Applied> MlsGate::create(Store& store, GroupRef group, BytesView group_id, BytesView group_info,
                                         BytesView creator_key, Outcome& o) {
  auto message = codec::decode_exact<mls::MlsMessage>(group_info);
  const auto* info = message.ok() ? std::get_if<mls::GroupInfo>(&message->body) : nullptr;
  if (!info) return Unexpected{reject(o, pb::INVALID_HANDSHAKE, "group_info is not an MLS GroupInfo").error()};
  if (!std::equal(group_id.begin(), group_id.end(), info->group_context.group_id.begin(),
                  info->group_context.group_id.end())) {
    return Unexpected{reject(o, pb::INVALID_ARGUMENT, "the GroupInfo is for another group id").error()};
  }
  GCHAT_TRY(auto state, checked(mls::PublicGroup::from_group_info(suite(), *info, verifier_->rules()), o));
  if (state.leaves_with_key(creator_key).empty()) {
    return Unexpected{reject(o, pb::FORBIDDEN, "the creating device is not a member of the group it creates").error()};
  }
  if (auto s = channel_rule(store, state); !s.ok()) return Unexpected{refuse(o, s.error()).error()};
  Applied out;
  for (mls::LeafIndex i = 0; i < state.tree().leaf_count(); ++i) {
    if (const auto* leaf = state.tree().leaf(i)) {
      GCHAT_TRY(DeviceRef d, device_for_leaf(store, *leaf));
      out.added.push_back(d);
    }
  }
  GCHAT_TRY_STATUS(apply(store, group, out));
  GCHAT_TRY_STATUS(save(store, group, state));
  return out;
}

Result<MlsGate::Applied> MlsGate::check_handshake(Store& store, GroupRef group, BytesView bytes, BytesView sender_key,
                                                  Outcome& o) {
  auto message = codec::decode_exact<mls::MlsMessage>(bytes);
  const auto* pub = message.ok() ? std::get_if<mls::PublicMessage>(&message->body) : nullptr;
  if (!pub) {
    return Unexpected{reject(o, pb::INVALID_HANDSHAKE, "handshake messages must be MLS PublicMessages").error()};
  }
  GCHAT_TRY(auto state, load(store, group));
  GCHAT_TRY(auto policy_before, identity::policy_of(state.context().extensions));
  // A device speaks for itself only: the key that signs must be the authenticated device's.
  const auto& sender = pub->content.sender;
  if (sender.sender_type == mls::SenderType::external) {
    return Unexpected{reject(o, pb::FORBIDDEN, "external proposals come from the relay itself").error()};
  }
  if (sender.sender_type == mls::SenderType::member) {
    const auto* leaf = state.tree().leaf(sender.index);
    if (!leaf || !std::equal(leaf->signature_key.begin(), leaf->signature_key.end(), sender_key.begin(),
                             sender_key.end())) {
      return Unexpected{reject(o, pb::FORBIDDEN, "the message is signed for another member's leaf").error()};
    }
  } else {
    return Unexpected{reject(o, pb::NOT_SUPPORTED, "joins by external commit or proposal are not relayed yet").error()};
  }
  GCHAT_TRY(auto seen, checked(state.observe(*message), o));
  Applied out;
  out.commit = seen.kind == mls::PublicGroup::Observed::Kind::commit;
  if (out.commit) {
    if (auto s = channel_rule(store, state); !s.ok()) return Unexpected{refuse(o, s.error()).error()};
  }
  if (seen.extensions_changed) {
    // Who changed the policy is who proposed the change (only a group admin may); a lower level
    // or a wider list of agencies is a declassification.
    GCHAT_TRY(auto policy_after, identity::policy_of(state.context().extensions));
    PolicyChange change;
    change.old_level = policy_before.level();
    change.new_level = policy_after.level();
    change.old_agencies = static_cast<std::size_t>(policy_before.allowed_agencies_size());
    change.new_agencies = static_cast<std::size_t>(policy_after.allowed_agencies_size());
    change.declassified = identity::declassifies(policy_before, policy_after);
    if (const auto* leaf = state.tree().leaf(seen.extensions_by)) {
      if (auto by = verifier_->verify(leaf->credential, leaf->signature_key); by.ok()) {
        change.by = by->user.agency.agency_id + "/" + by->user.user_id;
      }
    }
    out.policy_change = change;
  }
  for (const auto& leaf : seen.removed_leaves) {
    GCHAT_TRY(auto d, store.find_device(leaf.signature_key));
    if (d) out.removed.push_back(d->ref);
  }
  for (mls::LeafIndex i : seen.added) {
    GCHAT_TRY(DeviceRef d, device_for_leaf(store, *state.tree().leaf(i)));
    out.added.push_back(d);
  }
  GCHAT_TRY_STATUS(save(store, group, state));
  return out;
}

Status MlsGate::check_kind(pb::MessageKind kind, BytesView payload, Outcome& o) {
  // Only the header is read (version, wire format, and for a PrivateMessage its group id, epoch
  // and content type, which RFC 9420 §6.3 leaves in the clear): this is on every message's path.
  codec::Reader r(payload);
  auto version = r.u16();
  auto wire_format = r.u16();
  if (!version.ok() || !wire_format.ok() || *version != static_cast<std::uint16_t>(mls::ProtocolVersion::mls10)) {
    return reject(o, pb::INVALID_ARGUMENT, "the payload is not an MLS 1.0 message");
  }
  if (kind == pb::APPLICATION) {
    const bool private_message = *wire_format == static_cast<std::uint16_t>(mls::WireFormat::private_message);
    auto group_id = private_message ? r.opaque_view() : Result<BytesView>(fail(Errc::malformed, ""));
    auto epoch = group_id.ok() ? r.u64() : Result<std::uint64_t>(fail(Errc::malformed, ""));
    auto content_type = epoch.ok() ? r.u8() : Result<std::uint8_t>(fail(Errc::malformed, ""));
    if (!content_type.ok() || *content_type != static_cast<std::uint8_t>(mls::ContentType::application)) {
      return reject(o, pb::INVALID_ARGUMENT, "APPLICATION messages are MLS PrivateMessages of application data; "
                                             "proposals and commits go as HANDSHAKE PublicMessages");
    }
  } else if (kind == pb::WELCOME && *wire_format != static_cast<std::uint16_t>(mls::WireFormat::welcome)) {
    return reject(o, pb::INVALID_ARGUMENT, "WELCOME messages are MLS Welcomes");
  }
  return {};
}

Status MlsGate::apply(Store& store, GroupRef group, const Applied& changes) {
  for (DeviceRef d : changes.removed) GCHAT_TRY_STATUS(store.remove_member(group, d));
  for (DeviceRef d : changes.added) GCHAT_TRY_STATUS(store.add_member(group, d));
  return {};
}

Result<std::vector<Bytes>> MlsGate::propose_removes(Store& store, GroupRef group, const std::vector<Bytes>& device_keys,
                                                    const identity::SigningKey& relay_key, BytesView evidence) {
  GCHAT_TRY(auto state, load(store, group));
  GCHAT_TRY(auto req_data, [&]() -> Result<std::uint32_t> {
    for (const auto& e : state.context().extensions) {
      if (e.extension_type != mls::extension_type::external_senders) continue;
      GCHAT_TRY(auto senders, codec::decode_exact<std::vector<mls::ExternalSender>>(e.extension_data));
      for (std::uint32_t i = 0; i < senders.size(); ++i) {
        if (senders[i].signature_key == relay_key.public_key()) return i;
      }
    }
    return fail(Errc::not_found, "the group does not name this relay as an external sender");
  }());
  std::vector<Bytes> out;
  for (const auto& key : device_keys) {
    for (mls::LeafIndex leaf : state.leaves_with_key(key)) {
      GCHAT_TRY(auto proposal, mls::external_proposal(suite(), state.context().group_id, state.epoch(), req_data,
                                                      mls::Proposal{mls::Remove{leaf}}, relay_key.seed().view(),
                                                      evidence));
      GCHAT_TRY_STATUS(state.observe(proposal));
      out.push_back(codec::encode(proposal));
    }
  }
  GCHAT_TRY_STATUS(save(store, group, state));
  return out;
}

}  // namespace gchat::server
