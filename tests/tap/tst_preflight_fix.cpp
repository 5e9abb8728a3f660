// SPDX-License-Identifier: Apache-2.0
#include "tap/manifest_yaml.h"
#include "tap/preflight_fix.h"

#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QTest>

using namespace podtap;

/// @brief Each kind of refusal the API server gives an agent pod maps to the fix an operator can apply.
class TestPreflightFix final : public QObject
{
    Q_OBJECT

    /// The words a POSIX shell makes of @p command (with `kubectl` swapped for printf, so nothing is run).
    static QStringList shellWords(const QString &command)
    {
        if (!command.startsWith(QLatin1String("kubectl ")))
            return {QStringLiteral("not a kubectl command: ") + command};
        QProcess shell;
        shell.setWorkingDirectory(QDir::tempPath());
        shell.start(QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"), QStringLiteral("printf '%s\\0' kubectl") + command.mid(7)});
        if (!shell.waitForFinished() || shell.exitCode() != 0)
            return {QStringLiteral("the shell failed: ") + QString::fromUtf8(shell.readAllStandardError())};
        QStringList words = QString::fromUtf8(shell.readAllStandardOutput()).split(QLatin1Char('\0'));
        words.removeLast(); // after the last NUL
        return words;
    }

private Q_SLOTS:
    void suggestedCommandsQuoteEveryValue()
    {
        // A user name and namespace from the server's message with spaces, quotes and a command
        // substitution: pasted into a shell, each stays one literal argument.
        const QString user = QStringLiteral("alice o'neil $(touch pwned)");
        const QString ns = QStringLiteral("team \"a\";id");
        const ApiRefusal rbac {403, QStringLiteral("Forbidden"),
            QStringLiteral("pods is forbidden: User \"%1\" cannot create resource \"pods\" in API group \"\" in the "
                           "namespace \"%2\"")
                .arg(user, QStringLiteral("team a`id`")),
            QStringLiteral("pods"), {}};
        const PreflightFix rbacFix = explainRefusal(rbac, QStringLiteral("podtap"));
        QCOMPARE(rbacFix.category, PreflightFix::Category::RbacForbidden);
        const QString binding = rbacFix.fix.section(QStringLiteral("then: "), 1);
        QCOMPARE(shellWords(binding),
            (QStringList {QStringLiteral("kubectl"), QStringLiteral("create"), QStringLiteral("rolebinding"),
                QStringLiteral("podtap-operator"), QStringLiteral("--role=podtap-operator"),
                QStringLiteral("--user=") + user, QStringLiteral("-n"), QStringLiteral("team a`id`")}));

        const ApiRefusal podSecurity {403, QStringLiteral("Forbidden"),
            QStringLiteral("pods \"x\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces"),
            QStringLiteral("pods"), {}};
        QCOMPARE(shellWords(explainRefusal(podSecurity, ns).fixCommand),
            (QStringList {QStringLiteral("kubectl"), QStringLiteral("label"), QStringLiteral("ns"), ns,
                QStringLiteral("pod-security.kubernetes.io/enforce=privileged"), QStringLiteral("--overwrite")}));

        const ApiRefusal quota {403, QStringLiteral("Forbidden"),
            QStringLiteral("pods \"x\" is forbidden: exceeded quota: q$(id), requested: pods=1"),
            QStringLiteral("pods"), {}};
        const PreflightFix quotaFix = explainRefusal(quota, ns);
        QCOMPARE(shellWords(quotaFix.fixCommand).value(4), ns);
        const QString describe = quotaFix.fix.section(QLatin1Char('`'), 1, 1);
        QCOMPARE(shellWords(describe),
            (QStringList {QStringLiteral("kubectl"), QStringLiteral("describe"), QStringLiteral("resourcequota"),
                QStringLiteral("q$(id)"), QStringLiteral("-n"), ns}));
    }

    void podSecurityGetsTheNamespaceLabel()
    {
        const ApiRefusal refusal {403, QStringLiteral("Forbidden"),
            QStringLiteral(
                "pods \"podtap-cart-abcde12345\" is forbidden: violates PodSecurity \"baseline:latest\": host "
                "namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volumes \"host-proc\", "
                "\"host-netns\"), non-default capabilities (container \"agent\" must not include \"NET_ADMIN\")"),
            QStringLiteral("pods"), QStringLiteral("podtap-cart-abcde12345")};
        const PreflightFix fix = explainRefusal(refusal, QStringLiteral("tap-agents"));
        QCOMPARE(fix.category, PreflightFix::Category::PodSecurity);
        QCOMPARE(fix.fixCommand,
            QStringLiteral("kubectl label ns tap-agents pod-security.kubernetes.io/enforce=privileged --overwrite"));
        QVERIFY2(fix.summary.contains(QLatin1String("baseline:latest")), qPrintable(fix.summary));
        QVERIFY2(fix.toText().contains(refusal.message), "the server's words are shown verbatim");
    }

    void rbacForbiddenGetsTheMissingRule()
    {
        const ApiRefusal refusal {403, QStringLiteral("Forbidden"),
            QStringLiteral("pods is forbidden: User \"alice\" cannot create resource \"pods\" in API group \"\" in the "
                           "namespace \"podtap\""),
            QStringLiteral("pods"), {}};
        const PreflightFix fix = explainRefusal(refusal, QStringLiteral("podtap"));
        QCOMPARE(fix.category, PreflightFix::Category::RbacForbidden);
        QList<QJsonObject> objects;
        QString error;
        QVERIFY2(parseYamlStream(fix.fixYaml.toUtf8(), &objects, &error), qPrintable(error));
        QCOMPARE(objects.size(), 1);
        const QJsonObject role = objects.first();
        QCOMPARE(role.value(QLatin1String("kind")).toString(), QStringLiteral("Role"));
        QCOMPARE(role.value(QLatin1String("metadata")).toObject().value(QLatin1String("namespace")).toString(),
            QStringLiteral("podtap"));
        const QJsonObject rule = role.value(QLatin1String("rules")).toArray().first().toObject();
        QCOMPARE(rule.value(QLatin1String("verbs")).toArray(), QJsonArray {QStringLiteral("create")});
        QCOMPARE(rule.value(QLatin1String("resources")).toArray(), QJsonArray {QStringLiteral("pods")});
        QCOMPARE(rule.value(QLatin1String("apiGroups")).toArray(), QJsonArray {QString()});
        QVERIFY2(fix.fix.contains(QLatin1String(
                     "kubectl create rolebinding podtap-operator --role=podtap-operator --user=alice -n podtap")),
            qPrintable(fix.fix));
    }

    void rbacOnSubresourceAndClusterScope()
    {
        const ApiRefusal logs {403, QStringLiteral("Forbidden"),
            QStringLiteral(
                "pods \"x\" is forbidden: User \"bob\" cannot get resource \"pods/log\" in API group \"\" in the "
                "namespace \"podtap\""),
            QStringLiteral("pods"), QStringLiteral("x")};
        const PreflightFix logFix = explainRefusal(logs, QStringLiteral("podtap"));
        QCOMPARE(logFix.category, PreflightFix::Category::RbacForbidden);
        QVERIFY2(logFix.fixYaml.contains(QLatin1String("pods/log")), qPrintable(logFix.fixYaml));

        const ApiRefusal nodes {403, QStringLiteral("Forbidden"),
            QStringLiteral(
                "nodes \"worker-1\" is forbidden: User \"bob\" cannot get resource \"nodes\" in API group \"\" at "
                "the cluster scope"),
            QStringLiteral("nodes"), QStringLiteral("worker-1")};
        const PreflightFix nodeFix = explainRefusal(nodes, QStringLiteral("podtap"));
        QVERIFY2(nodeFix.fixYaml.contains(QLatin1String("kind: ClusterRole")), qPrintable(nodeFix.fixYaml));
        QVERIFY2(nodeFix.fix.contains(QLatin1String("kubectl create clusterrolebinding")), qPrintable(nodeFix.fix));

        const PreflightFix ssar = explainMissingPermission(
            QStringLiteral("patch"), QStringLiteral("pods"), QString(), QStringLiteral("podtap"));
        QVERIFY2(ssar.fixYaml.contains(QLatin1String("- patch")), qPrintable(ssar.fixYaml));
    }

    void preflightAsksForExecOnlyWhenTheStreamMayRun()
    {
        const auto execChecks = [](const QString &destination) {
            QList<PermissionCheck> found;
            for (const PermissionCheck &check : tapPermissionChecks(*parseDestination(destination))) {
                if (check.subresource == QLatin1String("exec")) {
                    found << check;
                }
            }
            return found;
        };
        const auto names = [](const QList<PermissionCheck> &checks) {
            QStringList out;
            for (const PermissionCheck &check : checks) {
                out << check.toString();
            }
            return out;
        };
        // An exec over WebSocket is a GET (authorized as get; newer API servers check create too).
        const QStringList both {QStringLiteral("get pods/exec"), QStringLiteral("create pods/exec")};
        const auto api = execChecks(QStringLiteral("api"));
        QCOMPARE(names(api), both);
        for (const PermissionCheck &check : api) {
            QVERIFY2(check.required, "a tap through the API server cannot run without it");
        }
        const auto local = execChecks(QStringLiteral("local"));
        QCOMPARE(names(local), both);
        for (const PermissionCheck &check : local) {
            QVERIFY2(!check.required, "this machine only loses the fallback without it");
        }
        QVERIFY(execChecks(QStringLiteral("local-interface")).isEmpty());
        QVERIFY(execChecks(QStringLiteral("node:worker-1")).isEmpty());
        QVERIFY(execChecks(QStringLiteral("ip:192.0.2.9")).isEmpty());
        // The tunnel's own checks stay for every destination.
        QCOMPARE(names(tapPermissionChecks(*parseDestination(QStringLiteral("node:w")))),
            QStringList({QStringLiteral("create pods"), QStringLiteral("delete pods"), QStringLiteral("get pods"),
                QStringLiteral("patch pods"), QStringLiteral("get pods/log")}));
    }

    void execRefusalSaysWhatItGrants()
    {
        const PreflightFix ssar = explainMissingPermission(
            QStringLiteral("create"), QStringLiteral("pods/exec"), QString(), QStringLiteral("podtap"));
        QCOMPARE(ssar.category, PreflightFix::Category::RbacForbidden);
        QVERIFY2(ssar.fixYaml.contains(QLatin1String("pods/exec")), qPrintable(ssar.fixYaml));
        QVERIFY2(
            ssar.fix.contains(QLatin1String("run any command in the pods of namespace podtap")), qPrintable(ssar.fix));

        // The same when the API server refuses the exec itself.
        const ApiRefusal refusal {403, QStringLiteral("Forbidden"),
            QStringLiteral("pods \"podtap-cart-abcde12345-st\" is forbidden: User \"bob\" cannot create resource "
                           "\"pods/exec\" in API group \"\" in the namespace \"podtap\""),
            QStringLiteral("pods"), QStringLiteral("podtap-cart-abcde12345-st")};
        const PreflightFix fix = explainRefusal(refusal, QStringLiteral("podtap"));
        QCOMPARE(fix.category, PreflightFix::Category::RbacForbidden);
        QVERIFY2(fix.fix.contains(QLatin1String("podtap-agent stream")), qPrintable(fix.fix));
        QVERIFY2(fix.fix.contains(QLatin1String("--user=bob")), qPrintable(fix.fix));
    }

    void quotaSaysWhatToDo()
    {
        const ApiRefusal refusal {403, QStringLiteral("Forbidden"),
            QStringLiteral(
                "pods \"podtap-cart-abcde12345\" is forbidden: exceeded quota: agent-pods, requested: pods=1, "
                "used: pods=4, limited: pods=4"),
            QStringLiteral("pods"), {}};
        const PreflightFix fix = explainRefusal(refusal, QStringLiteral("podtap"));
        QCOMPARE(fix.category, PreflightFix::Category::Quota);
        QVERIFY2(fix.summary.contains(QLatin1String("agent-pods")), qPrintable(fix.summary));
        QVERIFY2(fix.fix.contains(QLatin1String("kubectl describe resourcequota agent-pods -n podtap")),
            qPrintable(fix.fix));
        QVERIFY2(
            fix.fixCommand.contains(QLatin1String("app.kubernetes.io/managed-by=podtap")), qPrintable(fix.fixCommand));
    }

    void missingNamespaceGetsTheNamespaceManifest()
    {
        const ApiRefusal refusal {404, QStringLiteral("NotFound"), QStringLiteral("namespaces \"podtap\" not found"),
            QStringLiteral("namespaces"), QStringLiteral("podtap")};
        const PreflightFix fix = explainRefusal(refusal, QStringLiteral("podtap"));
        QCOMPARE(fix.category, PreflightFix::Category::MissingNamespace);
        QCOMPARE(fix.fixCommand, QStringLiteral("kubectl apply -f manifests/namespace.yaml"));
        QList<QJsonObject> objects;
        QString error;
        QVERIFY2(parseYamlStream(fix.fixYaml.toUtf8(), &objects, &error), qPrintable(error));
        const QJsonObject labels =
            objects.first().value(QLatin1String("metadata")).toObject().value(QLatin1String("labels")).toObject();
        QCOMPARE(
            labels.value(QLatin1String("pod-security.kubernetes.io/enforce")).toString(), QStringLiteral("privileged"));

        const ApiRefusal other {404, QStringLiteral("NotFound"), QStringLiteral("namespaces \"agents\" not found"),
            QStringLiteral("namespaces"), QStringLiteral("agents")};
        const PreflightFix otherFix = explainRefusal(other, QStringLiteral("agents"));
        QVERIFY2(otherFix.fixYaml.contains(QLatin1String("name: agents")), qPrintable(otherFix.fixYaml));
    }

    void webhookAndUnknownRefusalsKeepTheMessage()
    {
        const ApiRefusal webhook {400, QStringLiteral("BadRequest"),
            QStringLiteral(
                "admission webhook \"validate.kyverno.svc\" denied the request: host namespaces are not allowed"),
            QStringLiteral("pods"), {}};
        const PreflightFix fix = explainRefusal(webhook, QStringLiteral("podtap"));
        QCOMPARE(fix.category, PreflightFix::Category::Webhook);
        QVERIFY2(fix.summary.contains(QLatin1String("validate.kyverno.svc")), qPrintable(fix.summary));
        QVERIFY(fix.toText().contains(webhook.message));

        const ApiRefusal odd {
            500, QStringLiteral("InternalError"), QStringLiteral("etcdserver: request timed out"), {}, {}};
        const PreflightFix oddFix = explainRefusal(odd, QStringLiteral("podtap"));
        QCOMPARE(oddFix.category, PreflightFix::Category::Other);
        QVERIFY2(oddFix.summary.contains(QLatin1String("HTTP 500")), qPrintable(oddFix.summary));
        QVERIFY(oddFix.toText().contains(odd.message));

        const ApiRefusal unauthorized {401, QStringLiteral("Unauthorized"), QStringLiteral("Unauthorized"), {}, {}};
        QCOMPARE(explainRefusal(unauthorized, QStringLiteral("podtap")).category, PreflightFix::Category::Unauthorized);
    }
};

QTEST_GUILESS_MAIN(TestPreflightFix)
#include "tst_preflight_fix.moc"
