// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_filter.h"

namespace podtap::cluster {

namespace {

std::optional<PodFilterTerm> parseTerm(const QString &word)
{
    static const QString nodePrefix = QStringLiteral("node:");
    if (word.startsWith(nodePrefix, Qt::CaseInsensitive)) {
        const QString node = word.mid(nodePrefix.size());
        if (node.isEmpty())
            return std::nullopt;
        return PodFilterTerm {PodFilterTerm::Kind::NodeContains, {}, node};
    }

    const qsizetype eq = word.indexOf(QLatin1Char('='));
    if (eq < 0)
        return PodFilterTerm {PodFilterTerm::Kind::NameContains, {}, word};

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
