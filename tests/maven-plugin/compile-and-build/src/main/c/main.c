/* Calls the two models kiln:compile generated in this build: prints tiny_mlp's softmax rows and the class
   the digits classifier gives one 8x8 test image (a 7, the first of tests/data/digits_test_x.npy). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "digits.h"
#include "tiny_mlp.h"

static uint64_t arena1[TINY_MLP_ARENA_WORDS];
static uint64_t arena2[DIGITS_ARENA_WORDS];

static const float seven[DIGITS_INPUT_0_SIZE] = {
    0.0f, 0.0f, 0.125f, 0.8125f, 1.0f, 0.5625f, 0.0f, 0.0f,
    0.0f, 0.0f, 0.75f, 0.75f, 0.4375f, 1.0f, 0.1875f, 0.0f,
    0.0f, 0.0625f, 0.875f, 0.1875f, 0.0f, 1.0f, 0.25f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.25f, 0.625f, 1.0f, 0.375f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.8125f, 1.0f, 1.0f, 0.5625f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.3125f, 0.8125f, 0.0625f, 0.0f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.6875f, 0.5625f, 0.0f, 0.0f, 0.0f,
    0.0f, 0.0f, 0.0625f, 1.0f, 0.25f, 0.0f, 0.0f, 0.0f};

int main(void) {
    static const float x[TINY_MLP_INPUT_0_SIZE] = {0.5f, -1.0f, 0.25f, 2.0f, -0.5f, 1.5f, 0.0f, -2.0f};
    float y[TINY_MLP_OUTPUT_0_SIZE];
    float scores[DIGITS_OUTPUT_0_SIZE];
    int row, i, best = 0;
    if (tiny_mlp_run(x, y, arena1) != 0 || digits_run(seven, scores, arena2) != 0) {
        printf("demo: a model failed\n");
        return 1;
    }
    for (row = 0; row < 2; row++) {
        float sum = y[3 * row] + y[3 * row + 1] + y[3 * row + 2];
        printf("tiny_mlp row %d: %.4f %.4f %.4f\n", row, y[3 * row], y[3 * row + 1], y[3 * row + 2]);
        if (fabsf(sum - 1.0f) > 1e-5f) {
            printf("demo: softmax row %d sums to %f\n", row, sum);
            return 1;
        }
    }
    for (i = 1; i < DIGITS_OUTPUT_0_SIZE; i++)
        if (scores[i] > scores[best]) best = i;
    printf("digits: class %d\n", best);
    printf("demo ok\n");
    return 0;
}
