#include "client/float_tensor.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::ElementsAre;

TEST(FloatTensorTest, PacksLittleEndianFloat32) {
  v1::FloatTensor t = PackFloatTensor({1.0f, -2.0f}, {1, 2});
  EXPECT_THAT(t.shape(), ElementsAre(1, 2));
  EXPECT_EQ(t.data(), std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
  EXPECT_EQ(t.values_size(), 0);
}

TEST(FloatTensorTest, UnpacksEitherForm) {
  v1::FloatTensor t = PackFloatTensor({0.25f, 7.0f, -3.5f}, {3});
  EXPECT_THAT(*UnpackFloatTensor(t), ElementsAre(0.25f, 7.0f, -3.5f));
  v1::FloatTensor v = ToValuesForm(t);
  EXPECT_TRUE(v.data().empty());
  EXPECT_THAT(v.values(), ElementsAre(0.25f, 7.0f, -3.5f));
  EXPECT_THAT(*UnpackFloatTensor(v), ElementsAre(0.25f, 7.0f, -3.5f));
}

TEST(FloatTensorTest, RejectsMalformed) {
  v1::FloatTensor t = PackFloatTensor({1.0f, 2.0f}, {3});
  EXPECT_EQ(UnpackFloatTensor(t).status(),
            absl::InvalidArgumentError(
                "tensor has 2 elements, its shape needs 3"));
  t.mutable_data()->push_back('x');
  EXPECT_EQ(UnpackFloatTensor(t).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::FloatTensor both = PackFloatTensor({1.0f}, {1});
  both.add_values(1.0f);
  EXPECT_EQ(UnpackFloatTensor(both).status(),
            absl::InvalidArgumentError("tensor has both values and data"));
}

}  // namespace
}  // namespace profundo
