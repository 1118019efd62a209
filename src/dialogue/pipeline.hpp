#pragma once
// The bot pipeline: normalise → understand → decide → respond. Each stage is an interface so that the
// NLU, knowledge-base and dialogue-manager work plugs in stage by stage without touching the server.
// A Pipeline is immutable once built and safe to call from many threads at once.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::dialogue {

struct QuickReply {
    std::string label;
    std::string payload;  // sent back as the customer's text when chosen
};

struct BotMessage {
    std::string text;
    std::vector<QuickReply> quick_replies;
};

struct TurnInput {
    std::string_view conversation_id;
    std::string_view channel;
    std::string_view language;  // the conversation's language (zh | en)
    std::string_view text;      // the customer's text as typed
};

struct NormalisedText {
    std::string text;      // normalised for matching
    std::string language;  // detected: zh | en | mixed
};

struct Understanding {
    std::string intent;     // "" when nothing matched
    double confidence = 0;  // 0..1
    std::string language;   // zh | en | mixed
};

// What the policy decided to do this turn.
struct Decision {
    std::string action;  // "reply" | "fallback"
    std::string intent;
    std::string reply_language;  // zh | en
};

struct TurnResult {
    Understanding understanding;
    Decision decision;
    std::vector<BotMessage> replies;
};

class Normaliser {
  public:
    virtual ~Normaliser() = default;
    virtual NormalisedText Normalise(std::string_view text) const = 0;
};

class Understander {
  public:
    virtual ~Understander() = default;
    virtual Understanding Understand(const NormalisedText& text) const = 0;
};

class Policy {
  public:
    virtual ~Policy() = default;
    virtual Decision Decide(const TurnInput& input, const Understanding& understanding) const = 0;
};

class Responder {
  public:
    virtual ~Responder() = default;
    virtual std::vector<BotMessage> Respond(const Decision& decision) const = 0;
    virtual BotMessage Welcome(std::string_view language) const = 0;
};

class Pipeline {
  public:
    Pipeline(std::unique_ptr<Normaliser> normaliser, std::unique_ptr<Understander> understander,
             std::unique_ptr<Policy> policy, std::unique_ptr<Responder> responder);

    TurnResult Run(const TurnInput& input) const;
    BotMessage Welcome(std::string_view language) const { return responder_->Welcome(language); }

  private:
    std::unique_ptr<Normaliser> normaliser_;
    std::unique_ptr<Understander> understander_;
    std::unique_ptr<Policy> policy_;
    std::unique_ptr<Responder> responder_;
};

}  // namespace kefu::dialogue
