// SPDX-License-Identifier: Apache-2.0
#include "tap/preflight_fix.h"
#include "common/defaults.h"

#include "common/text_escape.h"
#include "tap/agent_namespace.h"
#include "tap/manifest_yaml.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

namespace podtap {
namespace {

QString roleName()
{
    return QStringLiteral("podtap-operator");
}

QString bindingCommand(const QString &namespaceName, const QString &user)
{
    // The user comes from the server's message, the namespace from it or the operator: quoted, so
    // the suggested command cannot run anything else when pasted into a shell.
    const QString subject =
        user.isEmpty() ? QStringLiteral("--user=<your user>") : shellQuote(QStringLiteral("--user=%1").arg(user));
    if (namespaceName.isEmpty()) {
        return QStringLiteral("kubectl create clusterrolebinding %1 --clusterrole=%1 %2").arg(roleName(), subject);
    }
    return QStringLiteral("kubectl create rolebinding %1 --role=%1 %2 -n %3")
        .arg(roleName(), subject, shellQuote(namespaceName));
}

QString podsExecGrants(const QString &ns)
{
    const QString where = ns.isEmpty() ? QStringLiteral("any namespace") : QStringLiteral("namespace %1").arg(ns);
    return QStringLiteral("pods/exec lets its holder run any command in the pods of %1; there they are "
                          "podtap's agent pods, which see the tapped pods' traffic. podtap uses it only to run "
                          "`podtap-agent stream` in its own agent pod and read the packets through the API server.")
        .arg(where);
}

PreflightFix rbacFix(
    const QString &verb, const QString &resource, const QString &group, const QString &ns, const QString &user)
{
    PreflightFix fix;
    fix.category = PreflightFix::Category::RbacForbidden;
    const QString where = ns.isEmpty() ? QStringLiteral("cluster-wide") : QStringLiteral("in namespace %1").arg(ns);
    fix.summary = QStringLiteral("You may not %1 %2 %3, which a tap needs (RBAC).").arg(verb, resource, where);
    fix.fixYaml = missingRuleYaml(verb, resource, group, ns);
    fix.fix = QStringLiteral("Ask a cluster administrator to apply this rule (or manifests/rbac.yaml) and bind it "
                             "to you:\n%1\nthen: %2")
                  .arg(fix.fixYaml, bindingCommand(ns, user));
    if (resource == QLatin1String("pods/exec")) {
        // Whoever grants it should know what it is: more than reading packets.
        fix.fix += QStringLiteral("\n%1").arg(podsExecGrants(ns));
    }
    return fix;
}

} // namespace

QString PreflightFix::toText() const
{
    QString text = summary;
    if (!original.isEmpty()) {
        text += QStringLiteral("\nThe API server said: %1").arg(original);
    }
    if (!fix.isEmpty()) {
        text += QStringLiteral("\nFix: %1").arg(fix);
    }
    return text;
}

QString missingRuleYaml(
    const QString &verb, const QString &resource, const QString &apiGroup, const QString &namespaceName)
{
    QJsonObject metadata {{QStringLiteral("name"), roleName()}};
    if (!namespaceName.isEmpty()) {
        metadata.insert(QStringLiteral("namespace"), namespaceName);
    }
    const QJsonObject rule {
        {QStringLiteral("apiGroups"), QJsonArray {apiGroup}},
        {QStringLiteral("resources"), QJsonArray {resource}},
        {QStringLiteral("verbs"), QJsonArray {verb}},
    };
    const QJsonObject role {
        {QStringLiteral("apiVersion"), QStringLiteral("rbac.authorization.k8s.io/v1")},
        {QStringLiteral("kind"), namespaceName.isEmpty() ? QStringLiteral("ClusterRole") : QStringLiteral("Role")},
        {QStringLiteral("metadata"), metadata},
        {QStringLiteral("rules"), QJsonArray {rule}},
    };
    return QString::fromUtf8(toYaml(role));
}

QList<PermissionCheck> tapPermissionChecks(const Destination &destination)
{
    QList<PermissionCheck> checks {
        {QStringLiteral("create"), QStringLiteral("pods"), {}, true, QStringLiteral("create the agent pod")},
        {QStringLiteral("delete"), QStringLiteral("pods"), {}, true, QStringLiteral("remove the agent pod")},
        {QStringLiteral("get"), QStringLiteral("pods"), {}, true, QStringLiteral("watch the agent pod start")},
        {QStringLiteral("patch"), QStringLiteral("pods"), {}, true,
            QStringLiteral("send the heartbeat that keeps the agent running")},
        {QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("log"), true,
            QStringLiteral("read the agent's events")},
    };
    if (destination.mayStream()) {
        // An exec over WebSocket is an HTTP GET: API servers authorize it as get on pods/exec, and newer ones
        // check create as well, so both are asked for.
        for (const QString &verb : {QStringLiteral("get"), QStringLiteral("create")}) {
            checks.append(
                {verb, QStringLiteral("pods"), QStringLiteral("exec"), destination.kind == Destination::Kind::ApiServer,
                    QStringLiteral("run `podtap-agent stream` in the agent pod and read its packets through the API "
                                   "server (grants running any command in the agent namespace's pods)")});
        }
    }
    return checks;
}

PreflightFix explainMissingPermission(const QString &verb, const QString &resource, const QString &apiGroup,
    const QString &namespaceName, const QString &user)
{
    return rbacFix(verb, resource, apiGroup, namespaceName, user);
}

PreflightFix explainRefusal(const ApiRefusal &refusal, const QString &agentNamespace)
{
    PreflightFix fix;
    fix.original = refusal.message;
    const QString &message = refusal.message;

    if (message.contains(QLatin1String("violates PodSecurity"))) {
        fix.category = PreflightFix::Category::PodSecurity;
        static const QRegularExpression levelRe(QStringLiteral("violates PodSecurity \"([^\"]+)\""));
        const QString level = levelRe.match(message).captured(1);
        fix.summary = QStringLiteral("Pod Security admission refused the agent pod in namespace %1%2: the agent needs "
                                     "hostNetwork, hostPath volumes and network capabilities, which only "
                                     "the 'privileged' level allows.")
                          .arg(agentNamespace, level.isEmpty() ? QString() : QStringLiteral(" (level %1)").arg(level));
        fix.fixCommand = QStringLiteral("kubectl label ns %1 pod-security.kubernetes.io/enforce=privileged --overwrite")
                             .arg(shellQuote(agentNamespace));
        fix.fix = QStringLiteral("label the agent namespace (keep it for podtap only): %1").arg(fix.fixCommand);
        return fix;
    }

    if (message.contains(QLatin1String("exceeded quota"))) {
        fix.category = PreflightFix::Category::Quota;
        static const QRegularExpression quotaRe(QStringLiteral("exceeded quota: ([^,\\s]+)"));
        const QString quota = quotaRe.match(message).captured(1);
        fix.summary =
            QStringLiteral("A ResourceQuota%1 in namespace %2 is used up, so the agent pod cannot be created.")
                .arg(quota.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(quota), agentNamespace);
        fix.fixCommand = QStringLiteral("kubectl delete pods -n %1 -l app.kubernetes.io/managed-by=podtap "
                                        "--field-selector=status.phase!=Running")
                             .arg(shellQuote(agentNamespace));
        fix.fix = QStringLiteral(
            "stop taps you no longer need, or remove finished podtap pods: %1\n"
            "If that is not enough, see what the quota allows with `kubectl describe resourcequota%2 -n %3` "
            "and ask an administrator to raise it.")
                      .arg(fix.fixCommand, quota.isEmpty() ? QString() : QLatin1Char(' ') + shellQuote(quota),
                          shellQuote(agentNamespace));
        return fix;
    }

    const bool namespaceMissing = (refusal.httpCode == 404 || refusal.reason == QLatin1String("NotFound")) &&
        (refusal.kind == QLatin1String("namespaces") || message.startsWith(QLatin1String("namespaces \"")));
    if (namespaceMissing) {
        fix.category = PreflightFix::Category::MissingNamespace;
        const QString ns = refusal.name.isEmpty() ? agentNamespace : refusal.name;
        fix.summary = QStringLiteral("The agent namespace %1 does not exist.").arg(ns);
        fix.fixYaml = QString::fromUtf8(agentNamespaceYaml(ns));
        if (ns == QLatin1String(kDefaultAgentNamespace)) {
            fix.fixCommand = QStringLiteral("kubectl apply -f manifests/namespace.yaml");
            fix.fix = QStringLiteral("create it with its Pod Security labels: %1\nor apply this manifest with "
                                     "`kubectl apply -f -`:\n%2")
                          .arg(fix.fixCommand, fix.fixYaml);
        } else {
            fix.fix = QStringLiteral("create it with its Pod Security labels: apply this manifest with "
                                     "`kubectl apply -f -`:\n%1")
                          .arg(fix.fixYaml);
        }
        return fix;
    }

    static const QRegularExpression rbacRe(QStringLiteral(
        "(?:User|ServiceAccount|Group) \"([^\"]*)\" cannot ([a-z*]+) resource \"([^\"]+)\" in API group \"([^\"]*)\""
        "(?: in the namespace \"([^\"]+)\")?"));
    if (refusal.httpCode == 403 || refusal.reason == QLatin1String("Forbidden")) {
        const auto match = rbacRe.match(message);
        if (match.hasMatch()) {
            PreflightFix rbac =
                rbacFix(match.captured(2), match.captured(3), match.captured(4), match.captured(5), match.captured(1));
            rbac.original = message;
            return rbac;
        }
    }

    if (message.contains(QLatin1String("admission webhook"))) {
        fix.category = PreflightFix::Category::Webhook;
        static const QRegularExpression webhookRe(QStringLiteral("admission webhook \"([^\"]+)\""));
        const QString webhook = webhookRe.match(message).captured(1);
        fix.summary = QStringLiteral("The admission webhook %1 refused the agent pod in namespace %2.")
                          .arg(webhook.isEmpty() ? QStringLiteral("(unnamed)") : webhook, agentNamespace);
        fix.fix = QStringLiteral("ask the webhook's owner to exempt namespace %1 (podtap's agents need host access "
                                 "by design), or choose an agent namespace the policy already exempts.")
                      .arg(agentNamespace);
        return fix;
    }

    if (refusal.httpCode == 401 || refusal.reason == QLatin1String("Unauthorized")) {
        fix.category = PreflightFix::Category::Unauthorized;
        fix.summary = QStringLiteral("The API server did not accept your credentials.");
        fix.fix = QStringLiteral("log in again (your token or certificate may have expired) and check with "
                                 "`kubectl auth whoami`.");
        return fix;
    }

    fix.category = PreflightFix::Category::Other;
    fix.summary = QStringLiteral("The API server refused the agent pod in namespace %1 (HTTP %2%3).")
                      .arg(agentNamespace)
                      .arg(refusal.httpCode)
                      .arg(refusal.reason.isEmpty() ? QString() : QStringLiteral(", ") + refusal.reason);
    fix.fix = QStringLiteral("read the server's message above; `kubectl describe ns %1` and the cluster's admission "
                             "policies usually explain it.")
                  .arg(shellQuote(agentNamespace));
    return fix;
}

} // namespace podtap
