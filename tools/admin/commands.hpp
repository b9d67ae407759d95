#pragma once
// gchat-admin's commands, one function each; main.cpp parses the options and picks one. Each
// returns the exit code or throws Failure.
#include <string>

#include "cli.hpp"

namespace gchat::tools::admin {

// pki.cpp: offline, with the root's and agencies' keys.
int root_init(const po::variables_map& vm);
int agency_create(const po::variables_map& vm);
int agency_renew(const po::variables_map& vm);
int admin_create(const po::variables_map& vm);
int admin_renew(const po::variables_map& vm);
int user_issue(const po::variables_map& vm);
int show(const po::variables_map& vm, const std::string& path);
// A user certificate as `show` prints it (with a warning line when it expires within 30 days).
void print_user_certificate(const v1::Signed& certificate);

// acts.cpp: an administrator's acts on the relay.
int enrol_grant(const po::variables_map& vm);
int enrol_complete(const po::variables_map& vm);
int clearance_set(const po::variables_map& vm);
int revoke(const po::variables_map& vm, const std::string& what);
int user_get(const po::variables_map& vm);
int list_users(const po::variables_map& vm, bool expiring_only);
int channel_create(const po::variables_map& vm);
int channel_subscribe_agency(const po::variables_map& vm);
int audit_verify(const po::variables_map& vm);

// serve.cpp: the agency's issuing service.
int serve(const po::variables_map& vm);

}  // namespace gchat::tools::admin
