// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>

#include <vector>

namespace podtap::sim {

/// @brief The switchable refusals: RBAC denials, Pod Security levels per namespace and pod quotas.
class Refusals final
{
public:
    struct ForbidRule
    {
        QByteArray verb; // "*" for any
        QByteArray resource; // "pods", "pods/log", "*"
        QByteArray ns; // empty: every namespace and cluster scope
        QByteArray user; // empty: every user
    };

    /// "VERB:RESOURCE[:NAMESPACE[:USER]]"; false on a malformed rule. USER is the effective user
    /// (the impersonated one when the request impersonates).
    bool addForbid(const QByteArray &rule);
    /// "NAMESPACE=restricted|baseline"
    bool addPodSecurity(const QByteArray &setting);
    /// "NAMESPACE=PODS"
    bool addQuota(const QByteArray &setting);

    bool isForbidden(
        const QByteArray &verb, const QByteArray &resource, const QByteArray &ns, const QByteArray &user = {}) const;
    /// The level ("restricted"/"baseline") enforced in @p ns, or empty.
    QByteArray podSecurityLevel(const QByteArray &ns) const { return m_podSecurity.value(ns); }
    /// -1 when @p ns has no quota.
    int podQuota(const QByteArray &ns) const { return m_quota.value(ns, -1); }

    /// The reasons a pod spec violates @p level, shaped like the admission plugin's message
    /// ("host namespaces (hostNetwork=true), privileged (...)"); empty when it complies.
    static QByteArray podSecurityViolations(const QJsonObject &spec, const QByteArray &level);

    QJsonObject toJson() const;
    /// Replaces everything with @p json ({"forbid": [...], "podSecurity": {...}, "quota": {...}}).
    bool fromJson(const QJsonObject &json, QByteArray *error);

private:
    std::vector<ForbidRule> m_forbid;
    QHash<QByteArray, QByteArray> m_podSecurity;
    QHash<QByteArray, int> m_quota;
};

} // namespace podtap::sim
