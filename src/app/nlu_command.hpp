#pragma once
// The `kefu nlu` subcommands. Each returns the process exit code (2 for bad input).

#include <iosfwd>
#include <string>
#include <vector>

namespace kefu::app {

int NluTrain(const std::vector<std::string>& data, const std::string& model_path, double c);
// threshold < 0 keeps the model's out-of-scope threshold; 0 disables it.
int NluEval(const std::string& model_path, const std::vector<std::string>& data, bool as_json, double threshold);
// `pack` holds the sentiment lexicon and training data (<pack>/nlu/sentiment_*).
int NluPredict(const std::string& model_path, const std::string& now, const std::string& pack, std::istream& in,
               std::ostream& out);

}  // namespace kefu::app
