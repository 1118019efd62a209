#pragma once
// The bot pipeline: normalise → understand → decide → respond. Each stage is an interface so that the
// NLU, knowledge-base and dialogue-manager work plugs in stage by stage without touching the server.
// A Pipeline is immutable once built and safe to call from many threads at once.

#include <boost/json/array.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlu/entities.hpp"

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
    // The dialogue state stored after the previous turn (JSON object; "" or "{}" for a new conversation).
    std::string_view state;
    // The customer the channel vouches for (a signed app token), or "": trusted without further verification.
    std::string_view customer_ref;
    // The client's message id (makes retried bank operations idempotent), or "".
    std::string_view message_id;
    // ISO-8601 local time that relative dates resolve against; "" means now. Stories pin it.
    std::string_view reference_time;
};

}  // namespace kefu::dialogue
namespace kefu::nlu {
struct NormalisedText;
}
namespace kefu::dialogue {

struct NormalisedText {
    std::string text;      // normalised for matching
    std::string language;  // detected: zh | en | mixed | "" (no letters)
    // The full NLU normalisation (offset map, code points) when the normaliser provides it.
    std::shared_ptr<const nlu::NormalisedText> nlu;
};

struct Understanding {
    std::string text;       // the normalised text (NFKC, lower case, Simplified Chinese) the intent was read from
    std::string intent;     // "" when nothing matched; "out_of_scope" when the model says so
    double confidence = 0;  // 0..1, calibrated when it comes from the model
    std::string language;   // zh | en | mixed
    std::vector<std::pair<std::string, double>> top;  // the best intents and their confidences
    boost::json::array entities;                      // entities found (sensitive values masked)
    // The same entities unmasked, for the dialogue manager only (card tails, phones, dates). Never log them.
    std::vector<nlu::Entity> raw_entities;
    std::string sentiment = "neutral";  // negative | neutral | positive
    double sentiment_score = 0;         // -1..1
    bool anger = false;
    bool urgency = false;
};

// What the knowledge base offers for a message (docs/kb.md, "Answering").
struct KnowledgeResult {
    std::string decision = "fallback";  // answer | clarify | fallback
    std::string id;                     // the best entry
    std::string answer;                 // its answer for the channel
    double confidence = 0;
    std::vector<std::pair<std::string, std::string>> top;  // (entry id, standard question), best first
};

// The knowledge base as the policy sees it. Implementations are thread-safe.
class Knowledge {
  public:
    virtual ~Knowledge() = default;
    // `understanding` (may be null) is what the NLU already made of the text; its intent is reused.
    virtual KnowledgeResult Lookup(std::string_view text, std::string_view language, std::string_view channel,
                                   const Understanding* understanding = nullptr) const = 0;
};

// What the policy decided to do this turn.
struct Decision {
    // "reply" (the intent's reply) | "kb_answer" | "kb_clarify" | "fallback" | "flow" (a business flow spoke)
    std::string action;
    std::string intent;
    std::string reply_language;  // zh | en
    KnowledgeResult knowledge;   // what the knowledge base offered (decision "fallback" when none)
    // True when the bot could not answer: the turn is worth an editor's look (unanswered-question mining).
    bool unanswered = false;
    // Set by the dialogue manager: the replies it composed (the responder is skipped), the state to store
    // with the turn (nullopt = unchanged), and what happened, for the transcript and stories.
    std::vector<BotMessage> messages;
    std::optional<std::string> state;
    std::string flow;                     // the active flow after this turn, or ""
    std::string step;                     // its step (slot or step id), or ""
    std::vector<std::string> bank_calls;  // core-banking operations made this turn, with their outcome
    bool verified = false;                // the conversation's customer is verified after this turn
    bool handoff = false;                 // the customer should be handed to a person
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
    // `reference_time`: ISO-8601 local time that relative dates resolve against ("" = now).
    virtual Understanding Understand(const NormalisedText& text, std::string_view reference_time) const = 0;
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
    Pipeline(std::shared_ptr<const Normaliser> normaliser, std::shared_ptr<const Understander> understander,
             std::shared_ptr<const Policy> policy, std::shared_ptr<const Responder> responder);

    TurnResult Run(const TurnInput& input) const;
    BotMessage Welcome(std::string_view language) const { return responder_->Welcome(language); }

  private:
    std::shared_ptr<const Normaliser> normaliser_;
    std::shared_ptr<const Understander> understander_;
    std::shared_ptr<const Policy> policy_;
    std::shared_ptr<const Responder> responder_;
};

}  // namespace kefu::dialogue

namespace kefu::dialogue {

// The current pipeline, swapped atomically when the bot pack or model is reloaded: a turn that has taken
// its pipeline keeps it to the end, and the next turn sees the new one. Thread-safe.
class PipelineHolder {
  public:
    std::shared_ptr<const Pipeline> Get() const {
        std::lock_guard lock(mu_);
        return current_;
    }
    void Set(std::shared_ptr<const Pipeline> p) {
        std::lock_guard lock(mu_);
        current_ = std::move(p);
    }

  private:
    mutable std::mutex mu_;
    std::shared_ptr<const Pipeline> current_;  // guarded by mu_
};

}  // namespace kefu::dialogue
