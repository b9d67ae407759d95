// The people directory (FindPeople): whom a person can add to a conversation, and what a clearance
// officer manages.
#include <algorithm>
#include <map>

#include "engine.hpp"
#include "gchat/identity/directory.hpp"

namespace gchat::client {

// The people directory: the relay's chains, each verified to the root (and against revocations);
// what does not verify is left out. Devices of one person are gathered under one entry.
void Engine::find_people(std::uint64_t id, const api::FindPeople& r) {
  if (auto problem = identity::directory_query_problem(r.query(), r.agency_id())) {
    return respond_error(id, {api::INVALID_ARGUMENT, *problem});
  }
  if (r.limit() > 100) return respond_error(id, {api::INVALID_ARGUMENT, "limit is at most 100 people"});
  const std::uint32_t limit = r.limit() == 0 ? 50 : r.limit();
  pb::ClientFrame f;
  f.mutable_find_people()->set_query(r.query());
  f.mutable_find_people()->set_agency_id(r.agency_id());
  f.mutable_find_people()->set_limit(std::min<std::uint32_t>(limit * 2, 200));  // a person has a device or two
  relay(std::move(f), [this, id, limit](const pb::ServerFrame& reply) {
    if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
    api::People out;
    out.set_more(reply.people().more());
    std::map<std::pair<std::string, std::string>, int> index;
    for (const auto& chain_bytes : reply.people().chains()) {
      idv1::Chain chain;
      idv1::DeviceCertificate device;
      if (!chain.ParseFromString(chain_bytes) || !device.ParseFromString(chain.device().body())) continue;
      auto who = verifier_->verify(identity::gchat_credential(as_bytes(chain_bytes)), as_bytes(device.device_key()));
      if (!who.ok()) continue;  // forged, expired or revoked: not shown
      const auto key = std::pair{who->user.agency.agency_id, who->user.user_id};
      auto [it, fresh] = index.emplace(key, out.people_size());
      if (fresh) {
        if (static_cast<std::uint32_t>(out.people_size()) == limit) {
          out.set_more(true);
          break;
        }
        *out.add_people()->mutable_person() = person_of(who->user);
      }
      auto* entry = out.mutable_people(it->second);
      if (!fresh) {
        // Devices certified under different certificates of one person: show the lower clearance.
        entry->mutable_person()->set_clearance(std::min(entry->person().clearance(),
                                                        static_cast<idv1::Clearance>(who->user.clearance)));
      }
      auto* d = entry->add_devices();
      d->set_device_key(std::string(who->device_key.begin(), who->device_key.end()));
      d->set_device_name(who->device_name);
    }
    respond(id, [&](api::Response& resp) { *resp.mutable_people() = std::move(out); });
  });
}

}  // namespace gchat::client
