// Behaviour tests for edge.status (Status, Result, StatusWithSize, EDGE_TRY*) and the host-only
// absl bridge.
#include "edge/status/status.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/status/absl_bridge.h"
#include "edge/status/result.h"
#include "edge/status/try.h"

namespace edge {

// GoogleTest printer (found by ADL), so failures show "NOT_FOUND" rather than a byte dump.
void PrintTo(Status status, std::ostream* os) { *os << StatusCodeName(status.code()); }

namespace {

struct CodeCase {
  StatusCode code;
  Status (*factory)();
  absl::StatusCode absl_code;
  const char* name;
};

Status MakeOk() { return OkStatus(); }

constexpr CodeCase kAllCodes[] = {
    {StatusCode::kOk, &MakeOk, absl::StatusCode::kOk, "OK"},
    {StatusCode::kCancelled, &Status::Cancelled, absl::StatusCode::kCancelled, "CANCELLED"},
    {StatusCode::kUnknown, &Status::Unknown, absl::StatusCode::kUnknown, "UNKNOWN"},
    {StatusCode::kInvalidArgument, &Status::InvalidArgument, absl::StatusCode::kInvalidArgument,
     "INVALID_ARGUMENT"},
    {StatusCode::kDeadlineExceeded, &Status::DeadlineExceeded, absl::StatusCode::kDeadlineExceeded,
     "DEADLINE_EXCEEDED"},
    {StatusCode::kNotFound, &Status::NotFound, absl::StatusCode::kNotFound, "NOT_FOUND"},
    {StatusCode::kAlreadyExists, &Status::AlreadyExists, absl::StatusCode::kAlreadyExists,
     "ALREADY_EXISTS"},
    {StatusCode::kPermissionDenied, &Status::PermissionDenied, absl::StatusCode::kPermissionDenied,
     "PERMISSION_DENIED"},
    {StatusCode::kResourceExhausted, &Status::ResourceExhausted,
     absl::StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED"},
    {StatusCode::kFailedPrecondition, &Status::FailedPrecondition,
     absl::StatusCode::kFailedPrecondition, "FAILED_PRECONDITION"},
    {StatusCode::kAborted, &Status::Aborted, absl::StatusCode::kAborted, "ABORTED"},
    {StatusCode::kOutOfRange, &Status::OutOfRange, absl::StatusCode::kOutOfRange, "OUT_OF_RANGE"},
    {StatusCode::kUnimplemented, &Status::Unimplemented, absl::StatusCode::kUnimplemented,
     "UNIMPLEMENTED"},
    {StatusCode::kInternal, &Status::Internal, absl::StatusCode::kInternal, "INTERNAL"},
    {StatusCode::kUnavailable, &Status::Unavailable, absl::StatusCode::kUnavailable, "UNAVAILABLE"},
    {StatusCode::kDataLoss, &Status::DataLoss, absl::StatusCode::kDataLoss, "DATA_LOSS"},
    {StatusCode::kUnauthenticated, &Status::Unauthenticated, absl::StatusCode::kUnauthenticated,
     "UNAUTHENTICATED"},
};

// ---------------------------------------------------------------------------------------------
// Status

TEST(Status, CodesAreTheCanonicalValuesAndMatchAbsl) {
  ASSERT_EQ(std::size(kAllCodes), size_t{kMaxStatusCode} + 1);
  for (size_t i = 0; i < std::size(kAllCodes); ++i) {
    const CodeCase& c = kAllCodes[i];
    EXPECT_EQ(static_cast<size_t>(c.code), i) << c.name;
    EXPECT_EQ(static_cast<int>(c.code), static_cast<int>(c.absl_code)) << c.name;
    EXPECT_EQ(absl::StatusCodeToString(c.absl_code), c.name);
  }
}

TEST(Status, EachFactoryMakesItsCode) {
  for (const CodeCase& c : kAllCodes) {
    EXPECT_EQ(c.factory().code(), c.code) << c.name;
    EXPECT_EQ(c.factory(), Status(c.code)) << c.name;
    EXPECT_EQ(c.factory().ok(), c.code == StatusCode::kOk) << c.name;
  }
}

TEST(Status, DefaultIsOkAndOnlyOkIsOk) {
  constexpr Status kDefault;
  static_assert(kDefault.ok());
  static_assert(kDefault == OkStatus());
  static_assert(!Status::DataLoss().ok());
  static_assert(Status::DataLoss() != Status::Internal());
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(OkStatus().code(), StatusCode::kOk);
}

TEST(Status, StatusCodeNameNamesEveryCode) {
  for (const CodeCase& c : kAllCodes) {
    EXPECT_STREQ(StatusCodeName(c.code), c.name);
    EXPECT_STREQ(Status(c.code).str(), c.name);
  }
  static_assert(StatusCodeName(StatusCode::kDataLoss)[0] == 'D', "usable in constant expressions");
}

TEST(Status, StatusCodeNameOfNonCanonicalValueIsInvalid) {
  EXPECT_STREQ(StatusCodeName(static_cast<StatusCode>(17)), "INVALID_STATUS_CODE");
  EXPECT_STREQ(StatusCodeName(static_cast<StatusCode>(255)), "INVALID_STATUS_CODE");
}

TEST(Status, UpdateKeepsTheFirstError) {
  Status status;
  status.Update(OkStatus());
  EXPECT_EQ(status, OkStatus());
  status.Update(Status::Unavailable());
  EXPECT_EQ(status, Status::Unavailable());
  status.Update(Status::DataLoss());
  EXPECT_EQ(status, Status::Unavailable());
  status.Update(OkStatus());
  EXPECT_EQ(status, Status::Unavailable());
}

TEST(Status, FromRawCodeMapsCanonicalValuesAndNeverMakesOkFromGarbage) {
  for (const CodeCase& c : kAllCodes) {
    EXPECT_EQ(StatusFromRawCode(static_cast<uint32_t>(c.code)), Status(c.code)) << c.name;
  }
  EXPECT_EQ(StatusFromRawCode(17), Status::Unknown());
  EXPECT_EQ(StatusFromRawCode(256), Status::Unknown());  // would truncate to 0 (OK) as a uint8_t
  EXPECT_EQ(StatusFromRawCode(std::numeric_limits<uint32_t>::max()), Status::Unknown());
}

// ---------------------------------------------------------------------------------------------
// Result

TEST(Result, HoldsAValue) {
  Result<int> result = 42;
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.status(), OkStatus());
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(*result, 42);
  *result = 7;
  EXPECT_EQ(result.value(), 7);
}

TEST(Result, HoldsAnError) {
  Result<int> result = Status::NotFound();
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status(), Status::NotFound());
  EXPECT_EQ(result.value_or(-1), -1);
}

TEST(Result, MadeFromOkStatusHoldsInternalNotAMissingValue) {
  Result<int> result = OkStatus();
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status(), Status::Internal());
}

TEST(Result, IsUsableInConstantExpressions) {
  constexpr Result<int> kValue = 3;
  constexpr Result<int> kError = Status::OutOfRange();
  static_assert(kValue.ok() && *kValue == 3);
  static_assert(kError.status() == Status::OutOfRange());
  static_assert(kError.value_or(9) == 9);
}

struct Point {
  int x;
  int y;
};

TEST(Result, ArrowAndInPlaceConstruction) {
  Result<Point> result(std::in_place, Point{1, 2});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->x, 1);
  result->y = 5;
  EXPECT_EQ(result.value().y, 5);
  const Result<Point>& const_ref = result;
  EXPECT_EQ(const_ref->y, 5);
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(5);
  ASSERT_TRUE(result.ok());
  std::unique_ptr<int> taken = std::move(result).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);
}

TEST(Result, ConvertsFromConstructibleTypes) {
  Result<std::string> result = "model.efm";  // const char* -> std::string
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, "model.efm");
  EXPECT_EQ(result->size(), 9u);
}

TEST(ResultDeathTest, ValueOfAnErrorTraps) {
  Result<int> result = Status::DataLoss();
  EXPECT_DEATH({ [[maybe_unused]] int v = result.value(); }, "");
}

// ---------------------------------------------------------------------------------------------
// StatusWithSize

TEST(StatusWithSize, CarriesStatusAndSize) {
  constexpr StatusWithSize kDefault;
  static_assert(kDefault.ok() && kDefault.size() == 0);

  const StatusWithSize all(128);
  EXPECT_TRUE(all.ok());
  EXPECT_EQ(all.size(), 128u);

  const StatusWithSize partial(Status::DeadlineExceeded(), 17);
  EXPECT_FALSE(partial.ok());
  EXPECT_EQ(partial.status(), Status::DeadlineExceeded());
  EXPECT_EQ(partial.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(partial.size(), 17u);
}

// ---------------------------------------------------------------------------------------------
// EDGE_TRY / EDGE_TRY_ASSIGN

// Records how far a function got, so the tests can see an early return.
struct Trace {
  int calls = 0;
  bool reached_end = false;
};

Status Step(Trace& trace, Status outcome) {
  ++trace.calls;
  return outcome;
}

Result<int> Produce(Trace& trace, Result<int> outcome) {
  ++trace.calls;
  return outcome;
}

Status TryStatus(Trace& trace, Status outcome) {
  EDGE_TRY(Step(trace, outcome));
  trace.reached_end = true;
  return OkStatus();
}

TEST(EdgeTry, OkStatusContinues) {
  Trace trace;
  EXPECT_EQ(TryStatus(trace, OkStatus()), OkStatus());
  EXPECT_EQ(trace.calls, 1);  // evaluated exactly once
  EXPECT_TRUE(trace.reached_end);
}

TEST(EdgeTry, ErrorStatusReturnsItEarly) {
  Trace trace;
  EXPECT_EQ(TryStatus(trace, Status::Unavailable()), Status::Unavailable());
  EXPECT_EQ(trace.calls, 1);
  EXPECT_FALSE(trace.reached_end);
}

Status TryResult(Trace& trace, Result<int> outcome) {
  EDGE_TRY(Produce(trace, outcome));
  trace.reached_end = true;
  return OkStatus();
}

TEST(EdgeTry, AcceptsResultAndReturnsItsStatus) {
  Trace ok_trace;
  EXPECT_EQ(TryResult(ok_trace, 3), OkStatus());
  EXPECT_TRUE(ok_trace.reached_end);

  Trace error_trace;
  EXPECT_EQ(TryResult(error_trace, Status::PermissionDenied()), Status::PermissionDenied());
  EXPECT_EQ(error_trace.calls, 1);
  EXPECT_FALSE(error_trace.reached_end);
}

Status TryStatusWithSize(Trace& trace, StatusWithSize outcome) {
  EDGE_TRY(outcome);
  trace.reached_end = true;
  return OkStatus();
}

TEST(EdgeTry, AcceptsStatusWithSize) {
  Trace ok_trace;
  EXPECT_EQ(TryStatusWithSize(ok_trace, StatusWithSize(4)), OkStatus());
  EXPECT_TRUE(ok_trace.reached_end);

  Trace error_trace;
  EXPECT_EQ(TryStatusWithSize(error_trace, StatusWithSize(Status::ResourceExhausted(), 4)),
            Status::ResourceExhausted());
  EXPECT_FALSE(error_trace.reached_end);
}

Result<int> TryInsideResultFunction(Trace& trace, Status outcome) {
  EDGE_TRY(Step(trace, outcome));
  trace.reached_end = true;
  return 10;
}

TEST(EdgeTry, WorksInFunctionsReturningResult) {
  Trace ok_trace;
  Result<int> ok = TryInsideResultFunction(ok_trace, OkStatus());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 10);

  Trace error_trace;
  EXPECT_EQ(TryInsideResultFunction(error_trace, Status::Aborted()).status(), Status::Aborted());
  EXPECT_FALSE(error_trace.reached_end);
}

Result<int> SumTwo(Trace& trace, Result<int> first, Result<int> second) {
  EDGE_TRY_ASSIGN(const int a, Produce(trace, first));  // declares
  int b = 0;
  EDGE_TRY_ASSIGN(b, Produce(trace, second));  // assigns an existing variable
  trace.reached_end = true;
  return a + b;
}

TEST(EdgeTryAssign, DeclaresAndAssignsOnSuccess) {
  Trace trace;
  Result<int> sum = SumTwo(trace, 2, 3);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 5);
  EXPECT_EQ(trace.calls, 2);
  EXPECT_TRUE(trace.reached_end);
}

TEST(EdgeTryAssign, ReturnsTheFirstErrorAndSkipsTheRest) {
  Trace trace;
  EXPECT_EQ(SumTwo(trace, Status::InvalidArgument(), 3).status(), Status::InvalidArgument());
  EXPECT_EQ(trace.calls, 1);  // the second expression never ran
  EXPECT_FALSE(trace.reached_end);

  Trace second_trace;
  EXPECT_EQ(SumTwo(second_trace, 2, Status::DataLoss()).status(), Status::DataLoss());
  EXPECT_EQ(second_trace.calls, 2);
  EXPECT_FALSE(second_trace.reached_end);
}

Result<std::unique_ptr<int>> MakeBox(int v) { return std::make_unique<int>(v); }

Status UnboxInto(int& out) {
  EDGE_TRY_ASSIGN(std::unique_ptr<int> box, MakeBox(8));  // moves a move-only value out
  out = *box;
  return OkStatus();
}

TEST(EdgeTryAssign, MovesMoveOnlyValues) {
  int out = 0;
  EXPECT_EQ(UnboxInto(out), OkStatus());
  EXPECT_EQ(out, 8);
}

Result<size_t> ReadCount(StatusWithSize outcome) {
  EDGE_TRY_ASSIGN(const size_t n, outcome);
  return n;
}

TEST(EdgeTryAssign, TakesTheSizeOfAStatusWithSize) {
  Result<size_t> ok = ReadCount(StatusWithSize(12));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 12u);
  EXPECT_EQ(ReadCount(StatusWithSize(Status::Unavailable(), 3)).status(), Status::Unavailable());
}

// ---------------------------------------------------------------------------------------------
// absl bridge (host only)

TEST(AbslBridge, OkBecomesOkAndDropsTheContext) {
  const absl::Status converted = ToAbsl(OkStatus(), "ignored");
  EXPECT_TRUE(converted.ok());
  EXPECT_TRUE(converted.message().empty());
}

TEST(AbslBridge, ErrorsKeepTheirCodeAndTakeTheContextAsMessage) {
  for (const CodeCase& c : kAllCodes) {
    if (c.code == StatusCode::kOk) continue;
    const absl::Status converted = ToAbsl(Status(c.code), "reading slot 1 header");
    EXPECT_EQ(converted.code(), c.absl_code) << c.name;
    EXPECT_EQ(converted.message(), "reading slot 1 header") << c.name;
  }
}

TEST(AbslBridge, NonCanonicalEdgeCodeBecomesUnknown) {
  const absl::Status converted = ToAbsl(Status(static_cast<StatusCode>(200)), "x");
  EXPECT_EQ(converted.code(), absl::StatusCode::kUnknown);
}

TEST(AbslBridge, FromAbslRoundTripsEveryCode) {
  for (const CodeCase& c : kAllCodes) {
    const absl::Status absl_status(c.absl_code, "message is dropped");
    EXPECT_EQ(FromAbsl(absl_status), Status(c.code)) << c.name;
    EXPECT_EQ(FromAbsl(ToAbsl(Status(c.code), "ctx")), Status(c.code)) << c.name;
  }
}

TEST(AbslBridge, FromAbslOfOutOfRangeCodeIsUnknownNeverOk) {
  EXPECT_EQ(FromAbsl(absl::Status(static_cast<absl::StatusCode>(42), "future code")),
            Status::Unknown());
  EXPECT_EQ(FromAbsl(absl::Status(static_cast<absl::StatusCode>(-1), "negative")),
            Status::Unknown());
}

TEST(AbslBridge, ResultBecomesStatusOr) {
  absl::StatusOr<int> value = ToAbsl(Result<int>(5), "ctx");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 5);

  absl::StatusOr<int> error = ToAbsl(Result<int>(Status::NotFound()), "model abc");
  EXPECT_EQ(error.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.status().message(), "model abc");
}

}  // namespace
}  // namespace edge
