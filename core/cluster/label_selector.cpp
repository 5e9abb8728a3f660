// SPDX-License-Identifier: Apache-2.0
#include "label_selector.h"

#include "common/names.h"
#include "common/text_escape.h"

#include <QJsonArray>

namespace podtap::cluster {

namespace {

bool isAlnum(QChar c)
{
    return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z')) ||
        (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
}

/// The "qualified name" rule shared by key names and values: alphanumerics, '-', '_', '.', starting
/// and ending alphanumeric, at most 63 characters. Empty when fine, else why not.
QString nameProblem(const QString &text, const char *what)
{
    if (text.size() > 63) {
        return QStringLiteral("%1 %2 is %3 characters long; at most 63 are allowed")
            .arg(QLatin1String(what), quoteForMessage(text), QString::number(text.size()));
    }
    for (QChar c : text) {
        if (!isAlnum(c) && c != QLatin1Char('-') && c != QLatin1Char('_') && c != QLatin1Char('.')) {
            return QStringLiteral("%1 %2 holds %3; only letters, digits, '-', '_' and '.' are allowed")
                .arg(QLatin1String(what), quoteForMessage(text), quoteForMessage(QString(c)));
        }
    }
    if (!text.isEmpty() && (!isAlnum(text.front()) || !isAlnum(text.back()))) {
        return QStringLiteral("%1 %2 must start and end with a letter or digit")
            .arg(QLatin1String(what), quoteForMessage(text));
    }
    return {};
}

const QString specials = QStringLiteral("=!(),<>");

struct Token
{
    enum class Type {
        End,
        Identifier,
        Comma,
        Not,
        Equals,
        DoubleEquals,
        NotEquals,
        Open,
        Close,
        In,
        NotIn,
        Greater,
        Less
    };
    Type type = Type::End;
    QString text;
    qsizetype position = 0; // 1-based, for errors
};

class Lexer
{
public:
    explicit Lexer(const QString &text)
        : m_text(text)
    {
    }

    Token next()
    {
        while (m_pos < m_text.size() && m_text.at(m_pos).isSpace()) {
            ++m_pos;
        }
        Token token;
        token.position = m_pos + 1;
        if (m_pos >= m_text.size()) {
            return token;
        }
        const QChar c = m_text.at(m_pos);
        const QChar after = m_pos + 1 < m_text.size() ? m_text.at(m_pos + 1) : QChar();
        if (specials.contains(c)) {
            ++m_pos;
            switch (c.toLatin1()) {
            case '=':
                if (after == QLatin1Char('=')) {
                    ++m_pos;
                    token.type = Token::Type::DoubleEquals;
                } else {
                    token.type = Token::Type::Equals;
                }
                break;
            case '!':
                if (after == QLatin1Char('=')) {
                    ++m_pos;
                    token.type = Token::Type::NotEquals;
                } else {
                    token.type = Token::Type::Not;
                }
                break;
            case '(':
                token.type = Token::Type::Open;
                break;
            case ')':
                token.type = Token::Type::Close;
                break;
            case ',':
                token.type = Token::Type::Comma;
                break;
            case '>':
                token.type = Token::Type::Greater;
                break;
            default:
                token.type = Token::Type::Less;
                break;
            }
            token.text = m_text.mid(token.position - 1, m_pos - token.position + 1);
            return token;
        }
        const qsizetype start = m_pos;
        while (m_pos < m_text.size() && !m_text.at(m_pos).isSpace() && !specials.contains(m_text.at(m_pos))) {
            ++m_pos;
        }
        token.text = m_text.mid(start, m_pos - start);
        token.type = token.text == QLatin1String("in") ? Token::Type::In
            : token.text == QLatin1String("notin")     ? Token::Type::NotIn
                                                       : Token::Type::Identifier;
        return token;
    }

private:
    const QString &m_text;
    qsizetype m_pos = 0;
};

QString describe(const Token &token)
{
    return token.type == Token::Type::End ? QStringLiteral("the end") : quoteForMessage(token.text);
}

const char *const grammarHint =
    "write requirements separated by commas: key=value, key!=value, key in (a,b), key notin (a,b), key, !key";

class Parser
{
public:
    explicit Parser(const QString &text)
        : m_text(text)
        , m_lexer(text)
    {
        advance();
    }

    std::optional<QList<LabelRequirement>> parse(QString *error)
    {
        QList<LabelRequirement> out;
        if (m_token.type == Token::Type::End) {
            return out;
        }
        for (;;) {
            std::optional<LabelRequirement> requirement = parseRequirement();
            if (!requirement) {
                break;
            }
            out.append(*requirement);
            if (m_token.type == Token::Type::End) {
                return out;
            }
            if (m_token.type != Token::Type::Comma) {
                fail(QStringLiteral("expected ',' or the end after a requirement, found %1").arg(describe(m_token)));
                break;
            }
            advance();
        }
        if (error) {
            *error = m_error;
        }
        return std::nullopt;
    }

private:
    void advance() { m_token = m_lexer.next(); }

    void fail(const QString &what)
    {
        if (m_error.isEmpty()) {
            m_error = QStringLiteral("invalid label selector %1: at character %2: %3 (%4)")
                          .arg(quoteForMessage(m_text, 120), QString::number(m_token.position), what,
                              QLatin1String(grammarHint));
        }
    }

    bool checkKey(const QString &key)
    {
        if (const QString problem = labelKeyProblem(key); !problem.isEmpty()) {
            fail(problem);
            return false;
        }
        return true;
    }

    bool checkValue(const QString &value)
    {
        if (const QString problem = labelValueProblem(value); !problem.isEmpty()) {
            fail(problem);
            return false;
        }
        return true;
    }

    std::optional<LabelRequirement> parseRequirement()
    {
        LabelRequirement requirement;
        if (m_token.type == Token::Type::Not) {
            advance();
            if (m_token.type != Token::Type::Identifier) {
                fail(QStringLiteral("expected a label key after '!', found %1").arg(describe(m_token)));
                return std::nullopt;
            }
            requirement.key = m_token.text;
            requirement.op = LabelRequirement::Op::DoesNotExist;
            if (!checkKey(requirement.key)) {
                return std::nullopt;
            }
            advance();
            return requirement;
        }
        if (m_token.type != Token::Type::Identifier) {
            fail(QStringLiteral("expected a label key, found %1").arg(describe(m_token)));
            return std::nullopt;
        }
        requirement.key = m_token.text;
        if (!checkKey(requirement.key)) {
            return std::nullopt;
        }
        advance();
        switch (m_token.type) {
        case Token::Type::End:
        case Token::Type::Comma:
            requirement.op = LabelRequirement::Op::Exists;
            return requirement;
        case Token::Type::Equals:
        case Token::Type::DoubleEquals:
        case Token::Type::NotEquals: {
            requirement.op =
                m_token.type == Token::Type::NotEquals ? LabelRequirement::Op::NotEquals : LabelRequirement::Op::Equals;
            const QString op = m_token.text;
            advance();
            if (m_token.type == Token::Type::End || m_token.type == Token::Type::Comma) {
                requirement.values = {QString()}; // `key=` selects an empty value, as in Kubernetes
                return requirement;
            }
            if (m_token.type != Token::Type::Identifier) {
                fail(QStringLiteral("expected a value after %1, found %2").arg(quoteForMessage(op), describe(m_token)));
                return std::nullopt;
            }
            requirement.values = {m_token.text};
            if (!checkValue(m_token.text)) {
                return std::nullopt;
            }
            advance();
            return requirement;
        }
        case Token::Type::In:
        case Token::Type::NotIn: {
            requirement.op = m_token.type == Token::Type::In ? LabelRequirement::Op::In : LabelRequirement::Op::NotIn;
            const QString op = m_token.text;
            advance();
            if (m_token.type != Token::Type::Open) {
                fail(QStringLiteral("expected '(' after \"%1\", found %2").arg(op, describe(m_token)));
                return std::nullopt;
            }
            advance();
            for (;;) {
                if (m_token.type == Token::Type::Identifier) {
                    if (!checkValue(m_token.text)) {
                        return std::nullopt;
                    }
                    requirement.values.append(m_token.text);
                    advance();
                } else if (m_token.type == Token::Type::Comma || m_token.type == Token::Type::Close) {
                    requirement.values.append(QString()); // an empty value in the set: `in (a,)`
                } else {
                    fail(QStringLiteral("expected a value or ')' in the set after \"%1\", found %2")
                             .arg(op, describe(m_token)));
                    return std::nullopt;
                }
                if (m_token.type == Token::Type::Close) {
                    advance();
                    break;
                }
                if (m_token.type != Token::Type::Comma) {
                    fail(QStringLiteral("expected ',' or ')' in the set after \"%1\", found %2")
                             .arg(op, describe(m_token)));
                    return std::nullopt;
                }
                advance();
            }
            if (requirement.values == QStringList {QString()}) {
                fail(QStringLiteral("the set after \"%1\" is empty; name at least one value").arg(op));
                return std::nullopt;
            }
            requirement.values.removeDuplicates();
            return requirement;
        }
        case Token::Type::Greater:
        case Token::Type::Less:
            fail(QStringLiteral("%1 compares numbers, which only node selectors do; use in (...) or =")
                     .arg(quoteForMessage(m_token.text)));
            return std::nullopt;
        default:
            fail(QStringLiteral("expected an operator (=, ==, !=, in, notin), ',' or the end after the key %1, "
                                "found %2")
                     .arg(quoteForMessage(requirement.key), describe(m_token)));
            return std::nullopt;
        }
    }

    const QString &m_text;
    Lexer m_lexer;
    Token m_token;
    QString m_error;
};

QString quoteValues(const QStringList &values)
{
    QStringList sorted = values;
    sorted.sort();
    return QLatin1Char('(') + sorted.join(QLatin1Char(',')) + QLatin1Char(')');
}

} // namespace

QString labelKeyProblem(const QString &key)
{
    if (key.isEmpty()) {
        return QStringLiteral("a label key is empty");
    }
    const qsizetype slash = key.indexOf(QLatin1Char('/'));
    QString name = key;
    if (slash >= 0) {
        const QString prefix = key.left(slash);
        name = key.mid(slash + 1);
        if (prefix.isEmpty() || !isDnsSubdomain(prefix)) {
            return QStringLiteral("the prefix %1 of label key %2 is not a DNS subdomain (lower-case "
                                  "letters, digits, '-' and '.', at most 253 characters)")
                .arg(quoteForMessage(prefix), quoteForMessage(key));
        }
        if (name.isEmpty()) {
            return QStringLiteral("label key %1 has nothing after '/'").arg(quoteForMessage(key));
        }
    }
    return nameProblem(name, "label key name");
}

QString labelValueProblem(const QString &value)
{
    return nameProblem(value, "label value");
}

std::optional<LabelSelector> LabelSelector::parse(const QString &text, QString *error)
{
    Parser parser(text);
    std::optional<QList<LabelRequirement>> requirements = parser.parse(error);
    if (!requirements) {
        return std::nullopt;
    }
    LabelSelector selector;
    selector.m_requirements = std::move(*requirements);
    return selector;
}

std::optional<LabelSelector> LabelSelector::fromObject(const QJsonObject &selector, QString *error)
{
    LabelSelector out;
    const auto failed = [error](const QString &why) {
        if (error) {
            *error = why;
        }
        return std::nullopt;
    };
    const QJsonValue matchLabels = selector.value(QLatin1String("matchLabels"));
    if (!matchLabels.isUndefined() && !matchLabels.isNull() && !matchLabels.isObject()) {
        return failed(QStringLiteral("spec.selector.matchLabels is not an object"));
    }
    const QJsonObject labels = matchLabels.toObject();
    for (auto it = labels.begin(); it != labels.end(); ++it) {
        if (!it.value().isString()) {
            return failed(
                QStringLiteral("spec.selector.matchLabels[%1] is not a string").arg(quoteForMessage(it.key())));
        }
        if (QString problem = labelKeyProblem(it.key()); !problem.isEmpty()) {
            return failed(QStringLiteral("spec.selector.matchLabels: %1").arg(problem));
        }
        if (QString problem = labelValueProblem(it.value().toString()); !problem.isEmpty()) {
            return failed(QStringLiteral("spec.selector.matchLabels: %1").arg(problem));
        }
        out.m_requirements.append({it.key(), LabelRequirement::Op::Equals, {it.value().toString()}});
    }
    const QJsonValue matchExpressions = selector.value(QLatin1String("matchExpressions"));
    if (!matchExpressions.isUndefined() && !matchExpressions.isNull() && !matchExpressions.isArray()) {
        return failed(QStringLiteral("spec.selector.matchExpressions is not a list"));
    }
    const QJsonArray expressions = matchExpressions.toArray();
    for (qsizetype i = 0; i < expressions.size(); ++i) {
        const QJsonObject expression = expressions.at(i).toObject();
        const QString where = QStringLiteral("spec.selector.matchExpressions[%1]").arg(i);
        LabelRequirement requirement;
        requirement.key = expression.value(QLatin1String("key")).toString();
        if (QString problem = labelKeyProblem(requirement.key); !problem.isEmpty()) {
            return failed(where + QStringLiteral(": ") + problem);
        }
        const QString op = expression.value(QLatin1String("operator")).toString();
        for (const QJsonValue &value : expression.value(QLatin1String("values")).toArray()) {
            if (!value.isString()) {
                return failed(where + QStringLiteral(": a value is not a string"));
            }
            if (QString problem = labelValueProblem(value.toString()); !problem.isEmpty()) {
                return failed(where + QStringLiteral(": ") + problem);
            }
            requirement.values.append(value.toString());
        }
        if (op == QLatin1String("In") || op == QLatin1String("NotIn")) {
            requirement.op = op == QLatin1String("In") ? LabelRequirement::Op::In : LabelRequirement::Op::NotIn;
            if (requirement.values.isEmpty()) {
                return failed(where + QStringLiteral(": operator %1 needs at least one value").arg(op));
            }
            requirement.values.removeDuplicates();
        } else if (op == QLatin1String("Exists") || op == QLatin1String("DoesNotExist")) {
            requirement.op =
                op == QLatin1String("Exists") ? LabelRequirement::Op::Exists : LabelRequirement::Op::DoesNotExist;
            if (!requirement.values.isEmpty()) {
                return failed(where + QStringLiteral(": operator %1 takes no values").arg(op));
            }
        } else {
            return failed(where +
                QStringLiteral(": unknown operator %1 (In, NotIn, Exists, DoesNotExist)").arg(quoteForMessage(op)));
        }
        out.m_requirements.append(requirement);
    }
    return out;
}

bool LabelSelector::matches(const QHash<QString, QString> &labels) const
{
    for (const LabelRequirement &r : m_requirements) {
        const auto it = labels.constFind(r.key);
        const bool found = it != labels.constEnd();
        switch (r.op) {
        case LabelRequirement::Op::Equals:
            if (!found || *it != r.values.value(0)) {
                return false;
            }
            break;
        case LabelRequirement::Op::NotEquals:
            if (found && *it == r.values.value(0)) {
                return false;
            }
            break;
        case LabelRequirement::Op::In:
            if (!found || !r.values.contains(*it)) {
                return false;
            }
            break;
        case LabelRequirement::Op::NotIn:
            if (found && r.values.contains(*it)) {
                return false;
            }
            break;
        case LabelRequirement::Op::Exists:
            if (!found) {
                return false;
            }
            break;
        case LabelRequirement::Op::DoesNotExist:
            if (found) {
                return false;
            }
            break;
        }
    }
    return true;
}

QString LabelSelector::toString() const
{
    QStringList parts;
    for (const LabelRequirement &r : m_requirements) {
        switch (r.op) {
        case LabelRequirement::Op::Equals:
            parts << r.key + QLatin1Char('=') + r.values.value(0);
            break;
        case LabelRequirement::Op::NotEquals:
            parts << r.key + QStringLiteral("!=") + r.values.value(0);
            break;
        case LabelRequirement::Op::In:
            parts << r.key + QStringLiteral(" in ") + quoteValues(r.values);
            break;
        case LabelRequirement::Op::NotIn:
            parts << r.key + QStringLiteral(" notin ") + quoteValues(r.values);
            break;
        case LabelRequirement::Op::Exists:
            parts << r.key;
            break;
        case LabelRequirement::Op::DoesNotExist:
            parts << QLatin1Char('!') + r.key;
            break;
        }
    }
    return parts.join(QLatin1Char(','));
}

} // namespace podtap::cluster
