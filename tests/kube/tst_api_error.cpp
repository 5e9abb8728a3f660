// SPDX-License-Identifier: Apache-2.0
#include "kube/api_error.h"

#include <QtTest>

using podtap::kube::ApiError;

class TestApiError : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statusBodyBecomesTypedError()
    {
        const QByteArray body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message":"pod web-0 is invalid: spec.containers[0].image: Required value","reason":"Invalid",
            "details":{"name":"web-0","kind":"pods","causes":[{"reason":"FieldValueRequired",
            "message":"Required value","field":"spec.containers[0].image"}]},"code":422})";
        const ApiError error = ApiError::fromStatus(422, body);
        QCOMPARE(error.kind, ApiError::Kind::Status);
        QCOMPARE(error.httpStatus, 422);
        QCOMPARE(error.reason, QStringLiteral("Invalid"));
        QCOMPARE(error.detailsName, QStringLiteral("web-0"));
        QCOMPARE(error.detailsKind, QStringLiteral("pods"));
        QCOMPARE(error.causes.size(), 1);
        QCOMPARE(error.causes.first().field, QStringLiteral("spec.containers[0].image"));
        QVERIFY(error.toString().startsWith(QStringLiteral("pod web-0 is invalid")));
    }

    void notFoundAndExpiredPredicates()
    {
        const ApiError notFound = ApiError::fromStatus(
            404, R"({"kind":"Status","status":"Failure","message":"pod x not found","reason":"NotFound","code":404})");
        QVERIFY(notFound.isNotFound());
        QVERIFY(!notFound.isExpired());
        QJsonObject expired {{QStringLiteral("kind"), QStringLiteral("Status")}, {QStringLiteral("code"), 410},
            {QStringLiteral("reason"), QStringLiteral("Expired")},
            {QStringLiteral("message"), QStringLiteral("too old resource version: 1 (5)")}};
        const ApiError fromEvent = ApiError::fromStatusObject(0, expired);
        QCOMPARE(fromEvent.httpStatus, 410);
        QVERIFY(fromEvent.isExpired());
    }

    void nonStatusBodyStillNamesTheProblem()
    {
        const ApiError error = ApiError::fromStatus(502, "<html><body>Bad Gateway</body></html>", "GET /api/v1/pods");
        QCOMPARE(error.httpStatus, 502);
        QVERIFY(error.message.contains(QStringLiteral("GET /api/v1/pods")));
        QVERIFY(error.message.contains(QStringLiteral("502")));
        QVERIFY(error.message.contains(QStringLiteral("Bad Gateway")));
        const ApiError forbidden = ApiError::fromStatus(403, "");
        QVERIFY(forbidden.isForbidden());
        QCOMPARE(forbidden.reason, QStringLiteral("Forbidden"));
    }
};

QTEST_GUILESS_MAIN(TestApiError)
#include "tst_api_error.moc"
