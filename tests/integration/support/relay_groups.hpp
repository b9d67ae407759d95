#pragma once
// An MLS group created on the relay in certificate mode, by a test playing the creator's client:
// the group with its policy and the relay as external sender, announced by its GroupInfo.
#include <doctest/doctest.h>

#include <string>

#include "gchat/identity/mls_identity.hpp"
#include "gchat/mls/group.hpp"
#include "mls_wire.hpp"
#include "relay_client.hpp"

namespace gchat::testing {

// A group of kind GROUP at `level`, administered by agency/user, created by `creator` on the relay.
inline mls::Group create_group_on_relay(RelayClient& creator, const std::string& group_id,
                                        const mls::Identity& id, const identity::MemberVerifier& verifier,
                                        const Bytes& relay_key, identity::v1::Clearance level,
                                        const std::string& agency, const std::string& user) {
  identity::v1::GroupPolicy policy;
  policy.set_kind(identity::v1::GROUP);
  policy.set_level(level);
  auto* admin = policy.add_admins();
  admin->set_agency_id(agency);
  admin->set_user_id(user);
  auto group = mls::Group::create(
      default_suite(), Bytes(group_id.begin(), group_id.end()), id, verifier.rules(),
      identity::group_extensions(policy, identity::RelaySender{relay_key, "gchat-test-relay"}));
  REQUIRE_MESSAGE(group.ok(), group.error().to_string());
  auto info = group->group_info();
  REQUIRE(info.ok());
  pb::ClientFrame create;
  create.mutable_create_group()->set_group_id(group_id);
  create.mutable_create_group()->set_group_info(encoded(*info));
  auto created = creator.request(create);
  REQUIRE_MESSAGE(created.has_create_group_ok(), created.DebugString());
  return std::move(*group);
}

}  // namespace gchat::testing
