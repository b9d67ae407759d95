#pragma once
// Broadcast channels as relay and clients both see them: the descriptor a channel administrator
// signs (level, agencies, publishers), who may subscribe, who may publish, and the id of the
// publishers' MLS group. The channel cryptography (keys from the publishers' group, HPKE wraps,
// post encryption) needs MLS and lives in client-core (gchat/identity/channel_keys.hpp).

#include <optional>
#include <string>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/identity/verify.hpp"

namespace gchat::identity {

inline constexpr std::size_t kChannelIdSize = 16;
inline constexpr std::size_t kMaxChannelPublishers = 100;
inline constexpr std::size_t kMaxChannelAgencies = 1000;

// A descriptor whose signature and signer were checked back to the root.
struct VerifiedChannel {
  v1::ChannelDescriptor descriptor;
  VerifiedAdmin admin;
};

// The shape of a descriptor (ids, sizes, level within the agency's cap) without signatures: what an
// administrator's tool checks before signing.
Status check_channel_shape(const v1::ChannelDescriptor& d, const VerifiedAdmin& signer);
// A signed descriptor and its signer's chain: the signer must hold CHANNEL_ADMIN in the channel's
// agency.
Result<VerifiedChannel> verify_channel(const v1::Signed& descriptor, const v1::AdminChain& signer,
                                       const TrustAnchor& anchor);

// Whether a person may subscribe: clearance at least the channel's level, and an agency the
// channel admits (its own, any listed, or every agency when none is listed).
Status may_subscribe(const std::string& agency_id, Clearance clearance, const v1::ChannelDescriptor& d);
// Whether a verified person publishes on the channel: listed as a publisher, of the channel's
// agency, with the PUBLISH right, and cleared for its level.
Status may_publish(const VerifiedUser& user, const v1::ChannelDescriptor& d);

// The MLS group of a channel's publishers ("G-Chat publishers:" || channel_id), and back.
Bytes publishers_group_id(BytesView channel_id);
std::optional<Bytes> channel_of_publishers_group(BytesView group_id);

}  // namespace gchat::identity
