# ssim.sh: `ztyle ssim` checks, sourced by tests/cli_test.sh (uses its
# expect/contains helpers, $Z and $T). Golden values: tests/data/img/golden.json.
D=tests/data/img
expect 0 "$Z" ssim "$D/ssim_48x40_noise_a.png" "$D/ssim_48x40_noise_b.png"
contains "$T/out" "ssim_gray 0.924517"
contains "$T/out" "ssim_rgb  0.729565"
contains "$T/out" "psnr      22.9943 dB"
expect 0 "$Z" ssim --json "$D/ssim_48x40_noise_a.png" "$D/ssim_48x40_noise_a.png"
contains "$T/out" '{"ssim_gray": 1.00000000, "ssim_rgb": 1.00000000, "psnr": null}'
expect 0 "$Z" ssim --gaussian --json "$D/ssim_64x64_jpeg_a.png" "$D/ssim_64x64_jpeg_b.png"
contains "$T/out" '"ssim_rgb": 0.5355947'
expect 1 "$Z" ssim "$D/ssim_48x40_noise_a.png" "$D/resize_src.png"
contains "$T/err" "ztyle ssim: $D/resize_src.png: size 64x48 differs"
expect 1 "$Z" ssim "$D/missing.png" "$D/resize_src.png"
contains "$T/err" "ztyle ssim: $D/missing.png: "
expect 2 "$Z" ssim "$D/resize_src.png"
