// Broadcast channels on the relay: the rules every path shares (channels.hpp).
#include "channels.hpp"

#include <algorithm>

#include "gchat/identity/channel.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

using wire::to_string;

bool listed_publisher(const identity::v1::ChannelDescriptor& d, const std::string& agency, const std::string& user) {
  return std::any_of(d.publishers().begin(), d.publishers().end(),
                     [&](const identity::v1::UserRef& p) { return p.agency_id() == agency && p.user_id() == user; });
}

}  // namespace

Result<identity::v1::ChannelDescriptor> channel_descriptor(const ChannelRecord& c) {
  identity::v1::Signed s;
  identity::v1::ChannelDescriptor d;
  if (!s.ParseFromArray(c.descriptor.data(), static_cast<int>(c.descriptor.size())) || !d.ParseFromString(s.body())) {
    return fail(Errc::storage_corrupt, "a stored channel does not parse");
  }
  return d;
}

Result<std::uint64_t> channel_generation(Store& store, const ChannelRecord& channel) {
  GCHAT_TRY(auto group, store.find_group(identity::publishers_group_id(channel.channel_id)));
  if (!group) return std::uint64_t{0};
  GCHAT_TRY(auto epoch, store.group_epoch(group->ref));
  return epoch.value_or(0);
}

Result<std::vector<DeviceRef>> publisher_devices(Store& store, const ChannelRecord& channel) {
  GCHAT_TRY(auto group, store.find_group(identity::publishers_group_id(channel.channel_id)));
  if (!group) return std::vector<DeviceRef>{};
  return store.member_devices(group->ref);
}

Result<std::optional<std::string>> check_channel_send(Store& store, Outcome& o, GroupRef group, pb::MessageKind kind,
                                                      DeviceRef sender, BytesView sender_key, BytesView payload) {
  using Publisher = std::optional<std::string>;
  auto refuse = [&](pb::ErrorCode code, std::string message) -> Result<Publisher> {
    return Unexpected{reject(o, code, std::move(message)).error()};
  };
  GCHAT_TRY(auto channel, store.channel_of_stream(group));
  if (!channel) {
    if (kind == pb::CHANNEL_POST) return refuse(pb::INVALID_ARGUMENT, "CHANNEL_POST goes only to a channel's stream");
    return Publisher{};
  }
  if (kind != pb::CHANNEL_POST) {
    return refuse(pb::NOT_A_PUBLISHER, "a channel takes only posts from its publishers (kind CHANNEL_POST)");
  }
  GCHAT_TRY(auto d, channel_descriptor(*channel));
  GCHAT_TRY(auto who, store.device_identity(sender_key));
  if (!who || !listed_publisher(d, who->second.agency_id, who->second.user_id)) {
    return refuse(pb::NOT_A_PUBLISHER, "only the channel's publishers post in it");
  }
  GCHAT_TRY(auto publishers, store.find_group(identity::publishers_group_id(channel->channel_id)));
  GCHAT_TRY(auto member, publishers ? store.membership(publishers->ref, sender)
                                    : Result<std::optional<MembershipRecord>>(std::optional<MembershipRecord>{}));
  if (!member) {
    return refuse(pb::NOT_A_PUBLISHER, "this device is not in the channel's publishers' group");
  }
  pb::ChannelCiphertext post;
  if (!post.ParseFromArray(payload.data(), static_cast<int>(payload.size())) || post.nonce().empty() ||
      post.ciphertext().empty()) {
    return refuse(pb::INVALID_ARGUMENT, "a channel post is a ChannelCiphertext");
  }
  GCHAT_TRY(auto epoch, store.group_epoch(publishers->ref));
  const std::uint64_t generation = epoch.value_or(0);
  if (post.generation() != generation) {
    return refuse(pb::STALE_CHANNEL_KEY,
                  "the post uses key generation " + std::to_string(post.generation()) + "; the channel is at " +
                      std::to_string(generation));
  }
  if (static_cast<std::int64_t>(generation) <= channel->rekey_above) {
    return refuse(pb::STALE_CHANNEL_KEY, "a subscriber left since this key was made: the publishers renew it first");
  }
  return Publisher{who->second.agency_id + "/" + who->second.user_id};
}

Result<ChannelDeparture> depart_channel(Store& store, const ChannelRecord& channel, const std::vector<DeviceRef>& devices) {
  ChannelDeparture out;
  out.stream = channel.stream;
  out.channel_id = channel.channel_id;
  if (channel.stream == 0) return out;
  for (DeviceRef d : devices) {
    GCHAT_TRY(auto m, store.membership(channel.stream, d));
    if (!m) continue;
    GCHAT_TRY_STATUS(store.remove_member(channel.stream, d));
    out.devices.push_back(d);
  }
  if (out.devices.empty()) return out;
  GCHAT_TRY(auto generation, channel_generation(store, channel));
  GCHAT_TRY_STATUS(store.set_channel_rekey_above(channel.ref, static_cast<std::int64_t>(generation)));
  GCHAT_TRY(out.publishers, publisher_devices(store, channel));
  return out;
}

void announce_departures(Relay& relay, const std::vector<ChannelDeparture>& departures) {
  for (const auto& d : departures) {
    if (d.devices.empty()) continue;
    relay.metrics().channel_departures += d.devices.size();
    relay.members_removed(d.stream, d.devices);
    notify_publishers(relay, d.publishers, d.channel_id, true);
    pb::ServerFrame f;
    f.mutable_channel_notice()->set_channel_id(to_string(d.channel_id));
    f.mutable_channel_notice()->set_removed(true);
    relay.push_to(d.devices, std::make_shared<const std::string>(f.SerializeAsString()));
  }
}

void notify_publishers(Relay& relay, const std::vector<DeviceRef>& publishers, const Bytes& channel_id, bool rekey) {
  if (publishers.empty()) return;
  pb::ServerFrame f;
  f.mutable_channel_notice()->set_channel_id(to_string(channel_id));
  f.mutable_channel_notice()->set_rekey_needed(rekey);
  relay.push_to(publishers, std::make_shared<const std::string>(f.SerializeAsString()));
}

}  // namespace gchat::server
