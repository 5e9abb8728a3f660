// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_filter.h"

#include <algorithm>

namespace podtap::cluster {

namespace {

bool isAscii(QStringView text)
{
    for (const QChar c : text) {
        if (c.unicode() >= 0x80)
            return false;
    }
    return true;
}

/// Whether a case-insensitive search could find more than a case-sensitive search for a lower-case
/// ASCII needle: only with an upper-case letter or a non-ASCII character (which may fold to ASCII).
bool mayNeedFolding(QStringView text)
{
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u >= 0x80 || (u >= u'A' && u <= u'Z'))
            return true;
    }
    return false;
}

/// A plain search for a short needle in a short text (pod and node names): per call, far cheaper
/// than the general string search, which prepares for long texts.
bool containsExactly(QStringView text, QStringView needle)
{
    const qsizetype n = needle.size();
    if (n == 0)
        return true;
    const char16_t *t = text.utf16();
    const char16_t *p = needle.utf16();
    const char16_t first = p[0];
    for (qsizetype i = 0, last = text.size() - n; i <= last; ++i) {
        if (t[i] == first && std::equal(p + 1, p + n, t + i + 1))
            return true;
    }
    return false;
}

PodFilterTerm textTerm(PodFilterTerm::Kind kind, const QString &value)
{
    PodFilterTerm term {kind, {}, value, {}};
    if (isAscii(value))
        term.asciiLower = value.toLower();
    return term;
}

std::optional<PodFilterTerm> parseTerm(const QString &word)
{
    static const QString nodePrefix = QStringLiteral("node:");
    if (word.startsWith(nodePrefix, Qt::CaseInsensitive)) {
        const QString node = word.mid(nodePrefix.size());
        if (node.isEmpty())
            return std::nullopt;
        return textTerm(PodFilterTerm::Kind::NodeContains, node);
    }

    const qsizetype eq = word.indexOf(QLatin1Char('='));
    if (eq < 0)
        return textTerm(PodFilterTerm::Kind::NameContains, word);

    // `a!=b`, `a==b`, `a=b`; the key is what precedes the operator.
    PodFilterTerm term;
    qsizetype keyEnd = eq;
    qsizetype valueStart = eq + 1;
    term.kind = PodFilterTerm::Kind::LabelEquals;
    if (eq > 0 && word.at(eq - 1) == QLatin1Char('!')) {
        term.kind = PodFilterTerm::Kind::LabelNotEquals;
        keyEnd = eq - 1;
    } else if (valueStart < word.size() && word.at(valueStart) == QLatin1Char('=')) {
        ++valueStart;
    }
    term.key = word.left(keyEnd);
    term.value = word.mid(valueStart);
    if (term.key.isEmpty())
        return std::nullopt;
    if (term.value.isEmpty()) {
        if (term.kind != PodFilterTerm::Kind::LabelEquals)
            return std::nullopt;
        term.kind = PodFilterTerm::Kind::LabelExists;
    }
    return term;
}

} // namespace

bool PodFilterTerm::containedIn(QStringView text) const
{
    // Over 100k pods per keystroke, a case-insensitive search costs several times a plain one.
    if (asciiLower.isEmpty() && !value.isEmpty())
        return text.contains(value, Qt::CaseInsensitive);
    if (containsExactly(text, asciiLower))
        return true;
    return mayNeedFolding(text) && text.contains(value, Qt::CaseInsensitive);
}

PodFilter PodFilter::parse(const QString &text)
{
    PodFilter filter;
    const QStringList words = text.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString &raw : words) {
        const QString word = raw.trimmed();
        if (word.isEmpty())
            continue;
        if (std::optional<PodFilterTerm> term = parseTerm(word)) {
            if (term->kind != PodFilterTerm::Kind::NameContains && term->kind != PodFilterTerm::Kind::NodeContains)
                filter.m_needsLabels = true;
            filter.m_terms.append(*term);
        }
    }
    return filter;
}

bool PodFilter::matches(QStringView name, QStringView node, const QHash<QString, QString> &labels) const
{
    return matches(name, node, [&labels](const QString &key) -> std::optional<QString> {
        const auto it = labels.constFind(key);
        if (it == labels.cend())
            return std::nullopt;
        return *it;
    });
}

} // namespace podtap::cluster
