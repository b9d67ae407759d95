#pragma once
// Result<T>: a value or a typed Error, returned at every boundary that sees untrusted input.
// Modelled on std::expected (C++23), which the project's compiler does not offer in C++20 mode.

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "gchat/base/error.hpp"

namespace gchat {

struct Unexpected {
  Error error;
};

inline Unexpected fail(Errc code, std::string message) { return Unexpected{Error{code, std::move(message)}}; }
inline Unexpected fail(Error error) { return Unexpected{std::move(error)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected u) : state_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(state_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_{};
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace gchat

// Propagate a failure: GCHAT_TRY(auto x, expr) or GCHAT_TRY_STATUS(expr).
#define GCHAT_CONCAT_INNER(a, b) a##b
#define GCHAT_CONCAT(a, b) GCHAT_CONCAT_INNER(a, b)
#define GCHAT_TRY_IMPL(tmp, decl, expr)                           \
  auto tmp = (expr);                                              \
  if (!tmp.ok()) return ::gchat::Unexpected{std::move(tmp).error()}; \
  decl = std::move(tmp).value()
#define GCHAT_TRY(decl, expr) GCHAT_TRY_IMPL(GCHAT_CONCAT(gchat_try_, __LINE__), decl, expr)
#define GCHAT_TRY_STATUS(expr)                                                   \
  do {                                                                           \
    auto gchat_status_ = (expr);                                                 \
    if (!gchat_status_.ok()) return ::gchat::Unexpected{std::move(gchat_status_).error()}; \
  } while (0)
