// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tap/tap_request.h"

#include <QList>
#include <QString>

namespace podtap {

/// @brief What the API server said when it refused a request: the parts of a v1 Status that matter.
///
/// Deliberately plain so that preflight does not depend on the client's error type; the session
/// code copies code, reason, message and details.kind/name into it.
struct ApiRefusal
{
    int httpCode = 0; ///< 403, 404, 422, ...
    QString reason; ///< Status.reason: Forbidden, NotFound, Invalid, ...
    QString message; ///< Status.message, verbatim
    QString kind; ///< Status.details.kind (a resource, e.g. "pods", "namespaces")
    QString name; ///< Status.details.name
};

/// @brief What a refusal means for a tap and how to fix it.
struct PreflightFix
{
    enum class Category { PodSecurity, RbacForbidden, Quota, MissingNamespace, Webhook, Unauthorized, Other };

    Category category = Category::Other;
    QString summary; ///< one sentence: what was refused and why
    QString fix; ///< what to do: commands to run, or a manifest to apply
    QString fixCommand; ///< a single command that fixes it, when there is one
    QString fixYaml; ///< a manifest that fixes it (`kubectl apply -f -`), when there is one
    QString original; ///< the server's message, verbatim, so nothing is hidden

    /// summary, the server's message and the fix, as one block of text for a dialog or a terminal.
    QString toText() const;
};

/// @brief One permission preflight asks the API server about (SelfSubjectAccessReview) in the agent namespace.
struct PermissionCheck
{
    QString verb;
    QString resource;
    QString subresource; ///< e.g. "log", "exec"; empty for the resource itself
    /// Without it the tap cannot run at all. An optional one only limits what the session may do (the stream
    /// fallback of "This machine" needs pods/exec; the tunnel does not).
    bool required = true;
    QString purpose; ///< what the tap uses it for and what it grants, for the person reading a refusal

    QString resourcePath() const
    {
        return subresource.isEmpty() ? resource : resource + QLatin1Char('/') + subresource;
    }
    QString toString() const { return verb + QLatin1Char(' ') + resourcePath(); } ///< "create pods/exec"
};

/// The permissions a tap to @p destination needs in the agent namespace. `get` and `create pods/exec` are asked only
/// when the stream through the API server may run: required for ApiServer, optional for ThisMachine (its fallback).
QList<PermissionCheck> tapPermissionChecks(const Destination &destination);

/// Maps a refusal of an agent-pod request in @p agentNamespace to its fix.
PreflightFix explainRefusal(const ApiRefusal &refusal, const QString &agentNamespace);

/// The Role (namespaced) or ClusterRole (@p namespaceName empty) granting @p verb on @p resource
/// (with "/subresource" if any) in @p apiGroup, as YAML. For a SelfSubjectAccessReview that said no.
QString missingRuleYaml(
    const QString &verb, const QString &resource, const QString &apiGroup, const QString &namespaceName);

/// Fix for a permission a SelfSubjectAccessReview denied, before any pod is created.
PreflightFix explainMissingPermission(const QString &verb, const QString &resource, const QString &apiGroup,
    const QString &namespaceName, const QString &user = {});

} // namespace podtap
