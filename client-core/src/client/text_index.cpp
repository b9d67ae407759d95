// Word segmentation for the search index: ICU's word break iterator (dictionary-based for Thai,
// which is written without spaces between words), then case folding and NFKC so that the index
// and the query agree on every form of a word.

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <memory>

#include "gchat/client/store.hpp"

namespace gchat::client {
namespace {

icu::UnicodeString folded(std::string_view utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size())));
  text.foldCase();
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) return text;
  icu::UnicodeString out = nfkc->normalize(text, status);
  return U_FAILURE(status) ? text : out;
}

}  // namespace

std::string fold_text(std::string_view utf8) {
  std::string out;
  folded(utf8).toUTF8String(out);
  return out;
}

std::vector<std::string> index_words(std::string_view utf8) {
  std::vector<std::string> words;
  const icu::UnicodeString text = folded(utf8);
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createWordInstance(icu::Locale("th"), status));
  if (U_FAILURE(status) || !it) return words;
  it->setText(text);
  std::int32_t start = it->first();
  for (std::int32_t end = it->next(); end != icu::BreakIterator::DONE; start = end, end = it->next()) {
    // Rule status UBRK_WORD_NONE marks spaces and punctuation.
    if (it->getRuleStatus() == UBRK_WORD_NONE) continue;
    std::string word;
    text.tempSubStringBetween(start, end).toUTF8String(word);
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace gchat::client
