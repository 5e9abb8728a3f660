// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"
#include "tap/agent_namespace.h"
#include "tap/manifest_yaml.h"
#include "tap/preflight_fix.h"

#include <QFile>
#include <QJsonArray>
#include <QProcessEnvironment>
#include <QTest>
#include <QXmlStreamReader>

using namespace podtap;
using namespace podtap::test;

namespace {

QString sourcePath(const QString &relative)
{
    return qEnvironmentVariable("PODTAP_SOURCE_DIR") + QLatin1Char('/') + relative;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.readAll();
}

// The examples start with '#' lines saying how they were made; the rest is podtapctl's output.
QByteArray withoutLeadingComments(const QByteArray &text)
{
    qsizetype at = 0;
    while (text.mid(at).startsWith('#')) {
        at = text.indexOf('\n', at) + 1;
    }
    return text.mid(at);
}

QString podtapctl()
{
    return builtExecutable(QStringLiteral("app/cli/podtapctl"));
}

const QStringList commonArgs {QStringLiteral("manifest"), QStringLiteral("--namespace"), QStringLiteral("shop"),
    QStringLiteral("--pod"), QStringLiteral("cart-7d9f8-x2k4q"), QStringLiteral("--vxlan-id"), QStringLiteral("4242"),
    QStringLiteral("--session"), QStringLiteral("ab12cd34ef"), QStringLiteral("--requested-by"),
    QStringLiteral("alice@laptop"), QStringLiteral("--target-node"), QStringLiteral("node-a"),
    QStringLiteral("--target-node-ip"), QStringLiteral("192.0.2.11"), QStringLiteral("--container-id"),
    QStringLiteral("containerd://3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f")};

} // namespace

/// @brief podtapctl manifest prints what the checked-in manifests hold, and takes kokotap's flags.
class TestManifestExamples final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Fixed heartbeat time, exactly as manifests/examples/regenerate.sh sets it.
        qputenv("SOURCE_DATE_EPOCH", "1790000000");
    }

    void examplesAreCurrent_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("extra");
        QTest::newRow("node destination") << QStringLiteral("manifests/examples/sender-receiver-node.yaml")
                                          << QStringList {QStringLiteral("--dest-node"), QStringLiteral("node-b"),
                                                 QStringLiteral("--dest-node-ip"), QStringLiteral("192.0.2.12")};
        QTest::newRow("IP destination with filter")
            << QStringLiteral("manifests/examples/sender-dest-ip.yaml")
            << QStringList {QStringLiteral("--dest-ip"), QStringLiteral("198.51.100.7"), QStringLiteral("--mirrortype"),
                   QStringLiteral("ingress"), QStringLiteral("--filter"), QStringLiteral("tcp port 443")};
    }

    void examplesAreCurrent()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, extra);
        const QByteArray checkedIn = readFile(sourcePath(file));
        QVERIFY2(!checkedIn.isEmpty(), qPrintable(file));
        const QStringList command = QStringList {podtapctl()} + commonArgs + extra;
        const ProcessResult result = run(command);
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        QVERIFY2(withoutLeadingComments(checkedIn) == result.out,
            qPrintable(
                QStringLiteral("%1 is stale: run manifests/examples/regenerate.sh with a built podtapctl").arg(file)));
    }

    void namespaceManifestIsTheGeneratedOne()
    {
        QCOMPARE(readFile(sourcePath(QStringLiteral("manifests/namespace.yaml"))), agentNamespaceYaml());
        const ProcessResult result =
            run({podtapctl(), QStringLiteral("manifest"), QStringLiteral("--agent-namespace-yaml")});
        QVERIFY(result.ok());
        QCOMPARE(result.out, agentNamespaceYaml());
    }

    void rbacGrantsWhatATapNeeds()
    {
        QList<QJsonObject> objects;
        QString error;
        QVERIFY2(parseYamlStream(readFile(sourcePath(QStringLiteral("manifests/rbac.yaml"))), &objects, &error),
            qPrintable(error));
        QSet<QString> granted;
        for (const QJsonObject &object : objects) {
            const QString kind = object.value(QLatin1String("kind")).toString();
            if (kind != QLatin1String("Role") && kind != QLatin1String("ClusterRole")) {
                continue;
            }
            const QString scope = kind == QLatin1String("Role")
                ? object.value(QLatin1String("metadata")).toObject().value(QLatin1String("namespace")).toString()
                : QStringLiteral("*");
            for (const QJsonValue &ruleValue : object.value(QLatin1String("rules")).toArray()) {
                const QJsonObject rule = ruleValue.toObject();
                for (const QJsonValue &group : rule.value(QLatin1String("apiGroups")).toArray()) {
                    for (const QJsonValue &resource : rule.value(QLatin1String("resources")).toArray()) {
                        for (const QJsonValue &verb : rule.value(QLatin1String("verbs")).toArray()) {
                            granted.insert(QStringLiteral("%1 %2/%3 %4")
                                               .arg(scope, group.toString(), resource.toString(), verb.toString()));
                        }
                    }
                }
            }
        }
        for (const char *verb : {"create", "delete", "get", "list", "watch", "patch"}) {
            QVERIFY2(granted.contains(QStringLiteral("podtap /pods ") + QLatin1String(verb)), verb);
        }
        QVERIFY(granted.contains(QStringLiteral("podtap /pods/log get")));
        // Every permission preflight asks for, for every destination (pods/exec for the stream), is granted.
        for (const QString &destination : {QStringLiteral("local"), QStringLiteral("local-interface"),
                 QStringLiteral("api"), QStringLiteral("node:worker-1"), QStringLiteral("ip:192.0.2.9")}) {
            for (const PermissionCheck &check : tapPermissionChecks(*parseDestination(destination))) {
                const QString rule = QStringLiteral("podtap /%1 %2").arg(check.resourcePath(), check.verb);
                QVERIFY2(granted.contains(rule), qPrintable(destination + QStringLiteral(": ") + rule));
            }
        }
        for (const char *resource : {"pods", "namespaces", "nodes"}) {
            for (const char *verb : {"get", "list", "watch"}) {
                QVERIFY2(granted.contains(QStringLiteral("* /%1 %2").arg(QLatin1String(resource), QLatin1String(verb))),
                    resource);
            }
        }
        QVERIFY(granted.contains(QStringLiteral("* authorization.k8s.io/selfsubjectaccessreviews create")));
    }

    void polkitPolicyNamesTheInstalledAgent()
    {
        QXmlStreamReader xml(readFile(sourcePath(QStringLiteral("packaging/io.podtap.receive.policy"))));
        QString actionId, execPath, execArgv1, allowActive;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement() && xml.name() == QLatin1String("action")) {
                actionId = xml.attributes().value(QLatin1String("id")).toString();
            } else if (xml.isStartElement() && xml.name() == QLatin1String("annotate") &&
                xml.attributes().value(QLatin1String("key")) == QLatin1String("org.freedesktop.policykit.exec.path")) {
                execPath = xml.readElementText();
            } else if (xml.isStartElement() && xml.name() == QLatin1String("annotate") &&
                xml.attributes().value(QLatin1String("key")) == QLatin1String("org.freedesktop.policykit.exec.argv1")) {
                execArgv1 = xml.readElementText();
            } else if (xml.isStartElement() && xml.name() == QLatin1String("allow_active")) {
                allowActive = xml.readElementText();
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QCOMPARE(actionId, QStringLiteral("io.podtap.receive"));
        QCOMPARE(execPath, QStringLiteral("/usr/libexec/podtap/podtap-agent"));
        QCOMPARE(execArgv1, QStringLiteral("receive")); // the action covers the receiver only
        // Each receiver asks: a kept authorization would let any process of the user run the agent as root.
        QCOMPARE(allowActive, QStringLiteral("auth_admin"));
    }

    void kokotapEqualsSignFormIsAccepted()
    {
        QStringList args {podtapctl()};
        for (qsizetype i = 0; i < commonArgs.size(); ++i) {
            if (commonArgs.at(i).startsWith(QLatin1String("--")) && i + 1 < commonArgs.size()) {
                args << commonArgs.at(i) + QLatin1Char('=') + commonArgs.at(i + 1);
                ++i;
            } else {
                args << commonArgs.at(i);
            }
        }
        args << QStringLiteral("--dest-ip=198.51.100.7") << QStringLiteral("--vxlan-port=8472")
             << QStringLiteral("--ifname=mirror0");
        const ProcessResult result = run(args);
        QVERIFY2(result.ok(), qPrintable(result.describe(args)));
        QVERIFY2(result.out.contains("- --port\n        - \"8472\""), result.out.constData());
        // The receiving host's commands, with the target node as the tunnel's remote end.
        QVERIFY2(
            result.err.contains("ip link add mirror0 type vxlan id 4242 dstport 8472 remote 192.0.2.11 nolearning\n"),
            result.err.constData());
        QVERIFY2(result.err.contains("ip link set mirror0 up\n"), result.err.constData());
    }

    void usageErrorsAreClear_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no pod") << QStringList {QStringLiteral("manifest")} << "--pod is required";
        QTest::newRow("both destinations")
            << QStringList {QStringLiteral("manifest"), QStringLiteral("--pod=a"),
                   QStringLiteral("--dest-ip=192.0.2.1"), QStringLiteral("--dest-node=n")}
            << "either --dest-node or --dest-ip";
        QTest::newRow("bad mirrortype") << QStringList {QStringLiteral("manifest"), QStringLiteral("--pod=a"),
                                               QStringLiteral("--mirrortype=sideways")}
                                        << "direction \"sideways\"";
        QTest::newRow("bad filter") << (commonArgs +
                                           QStringList {QStringLiteral("--filter"), QStringLiteral("tcp port")})
                                    << "capture filter \"tcp port\" does not compile";
    }

    void usageErrorsAreClear()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const ProcessResult result = run(QStringList {podtapctl()} + args);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains(message.toUtf8()), result.err.constData());
        QVERIFY(result.out.isEmpty());
    }

    void withoutOfflineValuesItResolvesThroughTheApi()
    {
        const QStringList args {podtapctl(), QStringLiteral("manifest"), QStringLiteral("--pod"),
            QStringLiteral("cart"), QStringLiteral("--namespace"), QStringLiteral("shop"), QStringLiteral("--dest-ip"),
            QStringLiteral("192.0.2.50"), QStringLiteral("--kubeconfig"),
            QStringLiteral("/nonexistent/podtap-test-kubeconfig")};
        const ProcessResult result = run(args);
        QCOMPARE(result.exitCode, 1);
        QVERIFY(result.out.isEmpty());
        QVERIFY2(result.err.contains("--target-node") || result.err.contains("podtap-test-kubeconfig"),
            result.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestManifestExamples)
#include "tst_manifest_examples.moc"
