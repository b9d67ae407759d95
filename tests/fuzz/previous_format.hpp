#pragma once
// Pending proposals as stored states keep them (group.cpp, public_group.cpp), now and in the
// previous format (no authenticated data), for the targets that write their seeds in the previous
// format too: restoring one is the upgrade path every client and the relay take once.
#include <utility>
#include <vector>

#include "gchat/mls/messages.hpp"

namespace fuzz {

struct StoredPending {
  gchat::Bytes ref;
  gchat::mls::Proposal proposal;
  gchat::mls::Sender sender;
  gchat::Bytes authenticated_data;
  GCHAT_TLS_FIELDS(ref, proposal, sender, authenticated_data)
};
struct PreviousPending {
  gchat::Bytes ref;
  gchat::mls::Proposal proposal;
  gchat::mls::Sender sender;
  GCHAT_TLS_FIELDS(ref, proposal, sender)
};

// The proposals in the previous format, and whether nothing was lost (no authenticated data).
inline std::pair<std::vector<PreviousPending>, bool> previous_pending(
    const std::vector<StoredPending>& pending) {
  std::pair<std::vector<PreviousPending>, bool> out{{}, true};
  for (const auto& p : pending) {
    out.first.push_back({p.ref, p.proposal, p.sender});
    out.second = out.second && p.authenticated_data.empty();
  }
  return out;
}

}  // namespace fuzz
