// SPDX-License-Identifier: Apache-2.0
// WorkloadTarget::parse: the target forms podtapctl takes (POD, NS/POD, KIND/NAME, a selector)
// and the errors for the rest.
#include "cluster/workload_target.h"

#include <QTest>

using podtap::cluster::WorkloadTarget;
using Kind = WorkloadTarget::Kind;

Q_DECLARE_METATYPE(WorkloadTarget::Kind)

class TestWorkloadTarget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesEveryForm_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<Kind>("kind");
        QTest::addColumn<QString>("ns");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("apiPath");
        QTest::newRow("pod") << "cart-1" << Kind::Pod << "shop"
                             << "cart-1"
                             << "/api/v1/namespaces/shop/pods/cart-1";
        QTest::newRow("ns/pod") << "other/cart-1" << Kind::Pod << "other"
                                << "cart-1"
                                << "/api/v1/namespaces/other/pods/cart-1";
        QTest::newRow("pod/NAME") << "pod/cart-1" << Kind::Pod << "shop"
                                  << "cart-1"
                                  << "/api/v1/namespaces/shop/pods/cart-1";
        for (const char *word : {"deploy", "deployment", "deployments", "Deployment", "deployment.apps"}) {
            QTest::addRow("%s", word) << QString::fromLatin1(word) + QStringLiteral("/cart") << Kind::Deployment
                                      << "shop"
                                      << "cart"
                                      << "/apis/apps/v1/namespaces/shop/deployments/cart";
        }
        for (const char *word : {"rs", "replicaset", "replicasets"}) {
            QTest::addRow("%s", word) << QString::fromLatin1(word) + QStringLiteral("/cart-5d9") << Kind::ReplicaSet
                                      << "shop"
                                      << "cart-5d9"
                                      << "/apis/apps/v1/namespaces/shop/replicasets/cart-5d9";
        }
        for (const char *word : {"sts", "statefulset", "statefulsets"}) {
            QTest::addRow("%s", word) << QString::fromLatin1(word) + QStringLiteral("/db") << Kind::StatefulSet
                                      << "shop"
                                      << "db"
                                      << "/apis/apps/v1/namespaces/shop/statefulsets/db";
        }
        for (const char *word : {"ds", "daemonset", "daemonsets"}) {
            QTest::addRow("%s", word) << QString::fromLatin1(word) + QStringLiteral("/agent") << Kind::DaemonSet
                                      << "shop"
                                      << "agent"
                                      << "/apis/apps/v1/namespaces/shop/daemonsets/agent";
        }
        for (const char *word : {"job", "jobs", "job.batch"}) {
            QTest::addRow("%s", word) << QString::fromLatin1(word) + QStringLiteral("/migrate") << Kind::Job << "shop"
                                      << "migrate"
                                      << "/apis/batch/v1/namespaces/shop/jobs/migrate";
        }
        QTest::newRow("selector") << "app=cart,tier!=db" << Kind::Selector << "shop"
                                  << ""
                                  << "";
        QTest::newRow("set selector") << "env in (a,b)" << Kind::Selector << "shop"
                                      << ""
                                      << "";
        QTest::newRow("not-exists selector") << "!canary" << Kind::Selector << "shop"
                                             << ""
                                             << "";
    }

    void parsesEveryForm()
    {
        QFETCH(QString, spec);
        QFETCH(Kind, kind);
        QFETCH(QString, ns);
        QFETCH(QString, name);
        QFETCH(QString, apiPath);
        QString error;
        const auto target = WorkloadTarget::parse(spec, QStringLiteral("shop"), &error);
        QVERIFY2(target, qPrintable(error));
        QCOMPARE(target->kind, kind);
        QCOMPARE(target->namespaceName, ns);
        QCOMPARE(target->name, name);
        QCOMPARE(target->apiPath(), apiPath);
        if (kind == Kind::Selector) {
            QVERIFY(!target->selector.isEmpty());
        }
    }

    void defaultsToTheDefaultNamespace()
    {
        QString error;
        const auto target = WorkloadTarget::parse(QStringLiteral("deploy/cart"), QString(), &error);
        QVERIFY2(target, qPrintable(error));
        QCOMPARE(target->namespaceName, QStringLiteral("default"));
        QCOMPARE(target->describe(), QStringLiteral("deployment \"cart\" in namespace \"default\""));
        QCOMPARE(target->shortName(), QStringLiteral("deployment/cart"));
    }

    void refusesWithTheForms_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty") << "  "
                               << "no target given";
        QTest::newRow("three parts") << "a/b/c"
                                     << "more than one '/'";
        QTest::newRow("unknown kind, not a namespace") << "Service/cart"
                                                       << "neither a kind podtap taps";
        QTest::newRow("empty name") << "deploy/"
                                    << "is not a valid deployment name";
        QTest::newRow("upper-case pod") << "Cart"
                                        << "is not a valid pod name";
        QTest::newRow("bad selector") << "app=cart,"
                                      << "invalid label selector";
        QTest::newRow("control character") << QStringLiteral("cart\x1b[2J") << "control characters";
    }

    void refusesWithTheForms()
    {
        QFETCH(QString, spec);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(!WorkloadTarget::parse(spec, QStringLiteral("shop"), &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
    }

    void refusesAnEmptySelector()
    {
        QString error;
        QVERIFY(!WorkloadTarget::fromSelector(QStringLiteral(" "), QStringLiteral("shop"), &error));
        QVERIFY2(error.contains(QStringLiteral("would select every pod")), qPrintable(error));
        QVERIFY(!WorkloadTarget::fromSelector(QStringLiteral("app=cart"), QStringLiteral("Shop"), &error));
        QVERIFY2(error.contains(QStringLiteral("not a valid namespace name")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestWorkloadTarget)
#include "tst_workload_target.moc"
