#pragma once
// Broadcast channels on the relay: the rules every path shares (sending into a stream, taking
// devices out of streams when they unsubscribe, lose clearance or are revoked).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gchat/identity/v1/identity.pb.h"
#include "gchat/relay/v1/relay.pb.h"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

// The signed descriptor a channel record holds, parsed (verified when it was stored).
Result<identity::v1::ChannelDescriptor> channel_descriptor(const ChannelRecord& channel);

// The key generation posts must use now: the epoch of the publishers' MLS group (0: none yet).
Result<std::uint64_t> channel_generation(Store& store, const ChannelRecord& channel);
// The devices of the publishers' group (those told about waiting subscribers and rekeys).
Result<std::vector<DeviceRef>> publisher_devices(Store& store, const ChannelRecord& channel);

// A message sent to `group`: a channel's stream takes only CHANNEL_POST, from a device of a listed
// publisher that is in the publishers' group, under the current key generation and not one made
// before a subscriber left; no other group takes CHANNEL_POST. Returns the publisher
// ("agency/user") when `group` is a channel's stream, to be recorded in the audit log.
Result<std::optional<std::string>> check_channel_send(Store& store, Outcome& o, GroupRef group, pb::MessageKind kind,
                                                      DeviceRef sender, BytesView sender_key, BytesView payload);

// Devices taken out of a channel's stream: no more deliveries, and the next post needs a new key
// (forward secrecy against them). Publishers are told after the commit.
struct ChannelDeparture {
  GroupRef stream = 0;
  std::vector<DeviceRef> devices;
  std::vector<DeviceRef> publishers;
  Bytes channel_id;
};
Result<ChannelDeparture> depart_channel(Store& store, const ChannelRecord& channel, const std::vector<DeviceRef>& devices);
void announce_departures(Relay& relay, const std::vector<ChannelDeparture>& departures);
// Tells the publishers' devices that subscribers wait for a key, or that one left.
void notify_publishers(Relay& relay, const std::vector<DeviceRef>& publishers, const Bytes& channel_id, bool rekey);

}  // namespace gchat::server
