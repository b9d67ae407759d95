#include "gchat/identity/channel.hpp"

#include <set>
#include <string_view>

namespace gchat::identity {
namespace {

constexpr std::string_view kPublishersPrefix = "G-Chat publishers:";
constexpr std::size_t kMaxTitle = 200;

}  // namespace

Status check_channel_shape(const v1::ChannelDescriptor& d, const VerifiedAdmin& signer) {
  if (d.channel_id().size() != kChannelIdSize) return fail(Errc::cert_malformed, "a channel id is 16 bytes");
  if (d.agency_id() != signer.agency.agency_id || d.admin_id() != signer.admin_id) {
    return fail(Errc::cert_mismatch, "a channel is signed by an administrator of its own agency, named in it");
  }
  if (d.title().empty() || d.title().size() > kMaxTitle) return fail(Errc::cert_malformed, "a channel title is 1 to 200 bytes");
  const auto level = clearance_from_int(d.level());
  if (!level) return fail(Errc::cert_malformed, "a channel has an unknown level");
  if (!at_least(signer.agency.max_clearance, *level)) {
    return fail(Errc::cert_clearance_above_cap, "a channel above the highest clearance its agency may grant");
  }
  if (d.version() == 0) return fail(Errc::cert_malformed, "a channel's version starts at 1");
  if (static_cast<std::size_t>(d.allowed_agencies_size()) > kMaxChannelAgencies) {
    return fail(Errc::cert_malformed, "a channel lists too many agencies");
  }
  for (const auto& a : d.allowed_agencies()) {
    if (!valid_id(a)) return fail(Errc::cert_malformed, "a channel names an invalid agency id");
  }
  if (static_cast<std::size_t>(d.publishers_size()) > kMaxChannelPublishers) {
    return fail(Errc::cert_malformed, "a channel has at most 100 publishers");
  }
  std::set<std::string> seen;
  for (const auto& p : d.publishers()) {
    if (p.agency_id() != d.agency_id() || !valid_id(p.user_id())) {
      return fail(Errc::cert_malformed, "a channel's publishers are people of its own agency");
    }
    if (!seen.insert(p.user_id()).second) return fail(Errc::cert_malformed, "a publisher is listed twice");
  }
  return {};
}

Result<VerifiedChannel> verify_channel(const v1::Signed& descriptor, const v1::AdminChain& signer,
                                       const TrustAnchor& anchor) {
  GCHAT_TRY(VerifiedAdmin admin, verify_admin(signer, anchor));
  if (!admin.has(v1::CHANNEL_ADMIN)) {
    return fail(Errc::cert_role_missing, "the channel's signer " + admin.admin_id + " is not a channel administrator");
  }
  GCHAT_TRY(auto d, open_signed<v1::ChannelDescriptor>(SignedKind::channel, descriptor, admin.admin_key, "channel"));
  GCHAT_TRY_STATUS(check_channel_shape(d, admin));
  return VerifiedChannel{std::move(d), std::move(admin)};
}

Status may_subscribe(const std::string& agency_id, Clearance clearance, const v1::ChannelDescriptor& d) {
  const Clearance level = clearance_from_int(d.level()).value_or(kHighestClearance);
  if (!at_least(clearance, level)) {
    return fail(Errc::clearance_too_low, "this channel is classified " + label_both(level) + ", above the person's " +
                                             label_both(clearance));
  }
  if (agency_id == d.agency_id() || d.allowed_agencies().empty()) return {};
  for (const auto& a : d.allowed_agencies()) {
    if (a == agency_id) return {};
  }
  return fail(Errc::agency_not_allowed, "this channel is not open to agency '" + agency_id + "'");
}

Status may_publish(const VerifiedUser& user, const v1::ChannelDescriptor& d) {
  bool listed = false;
  for (const auto& p : d.publishers()) {
    listed = listed || (p.agency_id() == user.agency.agency_id && p.user_id() == user.user_id);
  }
  if (!listed || user.agency.agency_id != d.agency_id()) {
    return fail(Errc::policy_not_permitted, user.name_en + " is not a publisher of this channel");
  }
  if (!user.may_publish) {
    return fail(Errc::policy_not_permitted, user.name_en + "'s certificate does not carry the right to publish");
  }
  return may_subscribe(user.agency.agency_id, user.clearance, d);
}

Bytes publishers_group_id(BytesView channel_id) {
  Bytes out(kPublishersPrefix.begin(), kPublishersPrefix.end());
  out.insert(out.end(), channel_id.begin(), channel_id.end());
  return out;
}

std::optional<Bytes> channel_of_publishers_group(BytesView group_id) {
  if (group_id.size() != kPublishersPrefix.size() + kChannelIdSize) return std::nullopt;
  if (!std::equal(kPublishersPrefix.begin(), kPublishersPrefix.end(), group_id.begin())) return std::nullopt;
  return Bytes(group_id.begin() + static_cast<std::ptrdiff_t>(kPublishersPrefix.size()), group_id.end());
}

}  // namespace gchat::identity
