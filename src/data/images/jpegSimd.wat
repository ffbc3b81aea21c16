;; The heavy arithmetic of the JPEG decoder (jpegDecoder.ts) in WebAssembly SIMD, the same bytes
;; as its JS: the islow IDCT of a block, and the YCbCr→RGB conversion of 4:4:4 and of 4:2:0 with
;; fancy upsampling (jpegColor.ts). Source of src/data/images/jpegSimdWasm.ts (`npm run
;; build:wasm`, Debian's wabt).
;;
;; libjpeg-turbo's "islow" IDCT (jidctint.c) for one 8×8 block in WebAssembly SIMD, four
;; columns (pass 1) or four rows (pass 2) per i32x4: the same formulas as idctBlock's int32 path
;; in jpegIdct.ts. WebAssembly's i32 arithmetic wraps modulo 2^32, exactly as JS's `>>` (ToInt32)
;; reduces the exact sums there, so the bytes are the same for every block; the shortcuts of the
;; JS path (zero AC columns and rows) are exact identities of these formulas and are not needed.
;;
;; Memory: bytes 0–255 hold the block's dequantised coefficients (64 i32, natural order), written
;; by the decoder; 256–1279 are scratch; the component planes the decoder writes into start at
;; 2048 (the caller places them), the RGB output and two row buffers after them.
(module
  (memory (export "memory") 1)

  ;; One 1-D pass over 8 vectors at in + 32k (k = 0..7) into out + 32k: `bias` is the rounding
  ;; term (pass 1: 2^10; pass 2: 2^17 + 128·2^18, centring the samples), `shift` 11 or 18.
  (func $idct1d (param $in i32) (param $out i32) (param $bias i32) (param $shift i32)
    (local $i0 v128) (local $i1 v128) (local $i2 v128) (local $i3 v128)
    (local $i4 v128) (local $i5 v128) (local $i6 v128) (local $i7 v128)
    (local $z1 v128) (local $z2 v128) (local $z3 v128) (local $z4 v128) (local $z5 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $t10 v128) (local $t11 v128) (local $t12 v128) (local $t13 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b v128)
    (local.set $i0 (v128.load offset=0 (local.get $in)))
    (local.set $i1 (v128.load offset=32 (local.get $in)))
    (local.set $i2 (v128.load offset=64 (local.get $in)))
    (local.set $i3 (v128.load offset=96 (local.get $in)))
    (local.set $i4 (v128.load offset=128 (local.get $in)))
    (local.set $i5 (v128.load offset=160 (local.get $in)))
    (local.set $i6 (v128.load offset=192 (local.get $in)))
    (local.set $i7 (v128.load offset=224 (local.get $in)))
    (local.set $b (i32x4.splat (local.get $bias)))
    ;; even part
    (local.set $z1 (i32x4.mul (i32x4.add (local.get $i2) (local.get $i6)) (i32x4.splat (i32.const 4433))))
    (local.set $t2 (i32x4.sub (local.get $z1) (i32x4.mul (local.get $i6) (i32x4.splat (i32.const 15137)))))
    (local.set $t3 (i32x4.add (local.get $z1) (i32x4.mul (local.get $i2) (i32x4.splat (i32.const 6270)))))
    (local.set $t0 (i32x4.add (i32x4.shl (i32x4.add (local.get $i0) (local.get $i4)) (i32.const 13)) (local.get $b)))
    (local.set $t1 (i32x4.add (i32x4.shl (i32x4.sub (local.get $i0) (local.get $i4)) (i32.const 13)) (local.get $b)))
    (local.set $t10 (i32x4.add (local.get $t0) (local.get $t3)))
    (local.set $t13 (i32x4.sub (local.get $t0) (local.get $t3)))
    (local.set $t11 (i32x4.add (local.get $t1) (local.get $t2)))
    (local.set $t12 (i32x4.sub (local.get $t1) (local.get $t2)))
    ;; odd part
    (local.set $z1 (i32x4.add (local.get $i7) (local.get $i1)))
    (local.set $z2 (i32x4.add (local.get $i5) (local.get $i3)))
    (local.set $z3 (i32x4.add (local.get $i7) (local.get $i3)))
    (local.set $z4 (i32x4.add (local.get $i5) (local.get $i1)))
    (local.set $z5 (i32x4.mul (i32x4.add (local.get $z3) (local.get $z4)) (i32x4.splat (i32.const 9633))))
    (local.set $z3 (i32x4.sub (local.get $z5) (i32x4.mul (local.get $z3) (i32x4.splat (i32.const 16069)))))
    (local.set $z4 (i32x4.sub (local.get $z5) (i32x4.mul (local.get $z4) (i32x4.splat (i32.const 3196)))))
    (local.set $z1 (i32x4.mul (local.get $z1) (i32x4.splat (i32.const 7373))))
    (local.set $z2 (i32x4.mul (local.get $z2) (i32x4.splat (i32.const 20995))))
    (local.set $a0 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i7) (i32x4.splat (i32.const 2446))) (local.get $z1)) (local.get $z3)))
    (local.set $a1 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i5) (i32x4.splat (i32.const 16819))) (local.get $z2)) (local.get $z4)))
    (local.set $a2 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i3) (i32x4.splat (i32.const 25172))) (local.get $z2)) (local.get $z3)))
    (local.set $a3 (i32x4.add (i32x4.sub (i32x4.mul (local.get $i1) (i32x4.splat (i32.const 12299))) (local.get $z1)) (local.get $z4)))
    (v128.store offset=0 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t10) (local.get $a3)) (local.get $shift)))
    (v128.store offset=224 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t10) (local.get $a3)) (local.get $shift)))
    (v128.store offset=32 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t11) (local.get $a2)) (local.get $shift)))
    (v128.store offset=192 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t11) (local.get $a2)) (local.get $shift)))
    (v128.store offset=64 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t12) (local.get $a1)) (local.get $shift)))
    (v128.store offset=160 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t12) (local.get $a1)) (local.get $shift)))
    (v128.store offset=96 (local.get $out) (i32x4.shr_s (i32x4.add (local.get $t13) (local.get $a0)) (local.get $shift)))
    (v128.store offset=128 (local.get $out) (i32x4.shr_s (i32x4.sub (local.get $t13) (local.get $a0)) (local.get $shift))))

  ;; Transposes the 4×4 block of i32 at src (rows 32 bytes apart) into dst (same stride).
  (func $transpose4 (param $src i32) (param $dst i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $a (v128.load offset=0 (local.get $src)))
    (local.set $b (v128.load offset=32 (local.get $src)))
    (local.set $c (v128.load offset=64 (local.get $src)))
    (local.set $d (v128.load offset=96 (local.get $src)))
    ;; t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3 (t2, t3 the same of c and d)
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d)))
    (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (v128.store offset=32 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (v128.store offset=64 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (v128.store offset=96 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))

  ;; The block at 0 → 8 rows of 8 samples at out, out + stride, … (clamped to 0..255).
  (func (export "idct") (param $out i32) (param $stride i32)
    (local $r i32) (local $v v128)
    ;; pass 1, columns 0–3 and 4–7: block (256 bytes at 0) → ws at 256, row-major
    (call $idct1d (i32.const 0) (i32.const 256) (i32.const 1024) (i32.const 11))
    (call $idct1d (i32.const 16) (i32.const 272) (i32.const 1024) (i32.const 11))
    ;; ws → wsT at 512: wsT + 16g + 32k holds column k of rows 4g..4g+3
    (call $transpose4 (i32.const 256) (i32.const 512))
    (call $transpose4 (i32.const 272) (i32.const 640))
    (call $transpose4 (i32.const 384) (i32.const 528))
    (call $transpose4 (i32.const 400) (i32.const 656))
    ;; pass 2, rows 0–3 and 4–7 (lanes are rows): wsT → oT at 768, same layout
    (call $idct1d (i32.const 512) (i32.const 768) (i32.const 33685504) (i32.const 18))
    (call $idct1d (i32.const 528) (i32.const 784) (i32.const 33685504) (i32.const 18))
    ;; oT → row-major at 1024
    (call $transpose4 (i32.const 768) (i32.const 1024))
    (call $transpose4 (i32.const 896) (i32.const 1040))
    (call $transpose4 (i32.const 784) (i32.const 1152))
    (call $transpose4 (i32.const 912) (i32.const 1168))
    ;; two rows at a time: i32 → i16 → u8 with saturation (the range limit), 8 bytes per row
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (i32.const 8)))
        (local.set $v
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s
              (v128.load offset=1024 (i32.shl (local.get $r) (i32.const 5)))
              (v128.load offset=1040 (i32.shl (local.get $r) (i32.const 5))))
            (i16x8.narrow_i32x4_s
              (v128.load offset=1056 (i32.shl (local.get $r) (i32.const 5)))
              (v128.load offset=1072 (i32.shl (local.get $r) (i32.const 5))))))
        (v128.store64_lane 0 (local.get $out) (local.get $v))
        (v128.store64_lane 1 (i32.add (local.get $out) (local.get $stride)) (local.get $v))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $stride) (i32.const 1))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rows))))

  ;; jdcolor.c's fixed-point YCbCr→RGB for 16 pixels (Y, Cb, Cr as u8x16), written as 48 bytes
  ;; of interleaved RGB at out: R = Y + ((91881·(Cr−128) + 2^15) >> 16),
  ;; G = Y + ((−22554·(Cb−128) + 2^15 − 46802·(Cr−128)) >> 16), B = Y + ((116130·(Cb−128) + 2^15) >> 16),
  ;; clamped to 0..255 (the saturating narrowings are the range limit).
  (func $rgb16 (param $y v128) (param $cb v128) (param $cr v128) (param $out i32)
    (local $r v128) (local $g v128) (local $b v128) (local $rg0 v128) (local $rg1 v128) (local $t v128)
    (local.set $r (call $channel (local.get $y) (local.get $cr) (local.get $cr) (i32.const 91881) (i32.const 0)))
    (local.set $g (call $channel (local.get $y) (local.get $cb) (local.get $cr) (i32.const -22554) (i32.const -46802)))
    (local.set $b (call $channel (local.get $y) (local.get $cb) (local.get $cb) (i32.const 116130) (i32.const 0)))
    ;; R G interleaved for pixels 0–7 and 8–15, then B woven in: 48 bytes in three stores
    (local.set $rg0 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $r) (local.get $g)))
    (local.set $rg1 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $r) (local.get $g)))
    (v128.store offset=0 (local.get $out) (i8x16.shuffle 0 1 16 2 3 17 4 5 18 6 7 19 8 9 20 10 (local.get $rg0) (local.get $b)))
    (local.set $t (i8x16.shuffle 11 12 13 14 15 16 17 18 19 20 21 0 0 0 0 0 (local.get $rg0) (local.get $rg1)))
    (v128.store offset=16 (local.get $out) (i8x16.shuffle 0 21 1 2 22 3 4 23 5 6 24 7 8 25 9 10 (local.get $t) (local.get $b)))
    (v128.store offset=32 (local.get $out) (i8x16.shuffle 26 6 7 27 8 9 28 10 11 29 12 13 30 14 15 31 (local.get $rg1) (local.get $b))))

  ;; One output channel for 16 pixels: Y + ((ka·(a−128) + kb·(b−128) + 2^15) >> 16), as u8x16.
  (func $channel (param $y v128) (param $a v128) (param $b v128) (param $ka i32) (param $kb i32) (result v128)
    (local $ya v128) (local $yb v128) (local $aa v128) (local $ab v128) (local $ba v128) (local $bb v128)
    (local $c128 v128) (local $vka v128) (local $vkb v128) (local $half v128)
    (local.set $c128 (i16x8.splat (i32.const 128)))
    (local.set $vka (i32x4.splat (local.get $ka)))
    (local.set $vkb (i32x4.splat (local.get $kb)))
    (local.set $half (i32x4.splat (i32.const 32768)))
    (local.set $ya (i16x8.extend_low_i8x16_u (local.get $y)))
    (local.set $yb (i16x8.extend_high_i8x16_u (local.get $y)))
    (local.set $aa (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $a)) (local.get $c128)))
    (local.set $ab (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $a)) (local.get $c128)))
    (local.set $ba (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $b)) (local.get $c128)))
    (local.set $bb (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $b)) (local.get $c128)))
    (i8x16.narrow_i16x8_u
      (i16x8.narrow_i32x4_s
        (call $term (i32x4.extend_low_i16x8_s (local.get $ya)) (i32x4.extend_low_i16x8_s (local.get $aa)) (i32x4.extend_low_i16x8_s (local.get $ba)) (local.get $vka) (local.get $vkb) (local.get $half))
        (call $term (i32x4.extend_high_i16x8_s (local.get $ya)) (i32x4.extend_high_i16x8_s (local.get $aa)) (i32x4.extend_high_i16x8_s (local.get $ba)) (local.get $vka) (local.get $vkb) (local.get $half)))
      (i16x8.narrow_i32x4_s
        (call $term (i32x4.extend_low_i16x8_s (local.get $yb)) (i32x4.extend_low_i16x8_s (local.get $ab)) (i32x4.extend_low_i16x8_s (local.get $bb)) (local.get $vka) (local.get $vkb) (local.get $half))
        (call $term (i32x4.extend_high_i16x8_s (local.get $yb)) (i32x4.extend_high_i16x8_s (local.get $ab)) (i32x4.extend_high_i16x8_s (local.get $bb)) (local.get $vka) (local.get $vkb) (local.get $half)))))

  (func $term (param $y v128) (param $a v128) (param $b v128) (param $ka v128) (param $kb v128) (param $half v128) (result v128)
    (i32x4.add (local.get $y)
      (i32x4.shr_s
        (i32x4.add (i32x4.add (i32x4.mul (local.get $a) (local.get $ka)) (i32x4.mul (local.get $b) (local.get $kb))) (local.get $half))
        (i32.const 16))))

  ;; 4:4:4: three full-resolution planes (`stride` apart rows) → W×H RGB at out, row after row.
  ;; Whole groups of 16 pixels: up to 15 pixels past a row's end are written (the next row
  ;; overwrites them; the caller leaves 48 bytes after the output) from bytes read past it.
  (func (export "rgbH1v1") (param $yp i32) (param $bp i32) (param $rp i32) (param $stride i32) (param $W i32) (param $H i32) (param $out i32)
    (local $y i32) (local $x i32) (local $row i32) (local $o i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $row (i32.mul (local.get $y) (local.get $stride)))
        (local.set $o (i32.add (local.get $out) (i32.mul (i32.mul (local.get $y) (local.get $W)) (i32.const 3))))
        (local.set $x (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (local.get $x) (local.get $W)))
            (call $rgb16
              (v128.load (i32.add (local.get $yp) (i32.add (local.get $row) (local.get $x))))
              (v128.load (i32.add (local.get $bp) (i32.add (local.get $row) (local.get $x))))
              (v128.load (i32.add (local.get $rp) (i32.add (local.get $row) (local.get $x))))
              (i32.add (local.get $o) (i32.mul (local.get $x) (i32.const 3))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; One row of a 4:2:0 chroma plane's column sums, 3·near + far (i16), into buf from 2 with the
  ;; edge samples repeated at 0 and 2 + 2w (jdsample.c h2v2_fancy_upsample's context).
  (func $colsums (param $near i32) (param $far i32) (param $w i32) (param $buf i32)
    (local $i i32) (local $v v128)
    (block $done
      (loop $cols
        (br_if $done (i32.ge_u (local.get $i) (local.get $w)))
        (local.set $v (i16x8.extend_low_i8x16_u (v128.load64_zero (i32.add (local.get $near) (local.get $i)))))
        (v128.store offset=2 (i32.add (local.get $buf) (i32.shl (local.get $i) (i32.const 1)))
          (i16x8.add (i16x8.add (i16x8.add (local.get $v) (local.get $v)) (local.get $v))
            (i16x8.extend_low_i8x16_u (v128.load64_zero (i32.add (local.get $far) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $cols)))
    (i32.store16 (local.get $buf) (i32.load16_u offset=2 (local.get $buf)))
    (i32.store16 offset=2 (i32.add (local.get $buf) (i32.shl (local.get $w) (i32.const 1)))
      (i32.load16_u (i32.add (local.get $buf) (i32.shl (local.get $w) (i32.const 1))))))

  ;; 16 upsampled samples from the column sums at buf + 2i (8 chroma columns): output 2i is
  ;; (3·cur + left + 8) >> 4, output 2i + 1 is (3·cur + right + 7) >> 4.
  (func $fancy16 (param $p i32) (result v128)
    (local $cur v128) (local $cur3 v128) (local $even v128) (local $odd v128)
    (local.set $cur (v128.load offset=2 (local.get $p)))
    (local.set $cur3 (i16x8.add (i16x8.add (local.get $cur) (local.get $cur)) (local.get $cur)))
    (local.set $even (i16x8.shr_u (i16x8.add (i16x8.add (local.get $cur3) (v128.load (local.get $p))) (i16x8.splat (i32.const 8))) (i32.const 4)))
    (local.set $odd (i16x8.shr_u (i16x8.add (i16x8.add (local.get $cur3) (v128.load offset=4 (local.get $p))) (i16x8.splat (i32.const 7))) (i32.const 4)))
    (i8x16.narrow_i16x8_u
      (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $even) (local.get $odd))
      (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $even) (local.get $odd))))

  ;; 4:2:0 with fancy upsampling: luma plane (ystride), two chroma planes (cstride; w × h valid)
  ;; → W×H RGB at out. Row y takes chroma row y/2 as near and the row above (even y) or below
  ;; (odd y) as far, clamped to the plane. bufB, bufR: two row buffers of 2·w + 32 bytes.
  (func (export "rgbH2v2") (param $yp i32) (param $bp i32) (param $rp i32) (param $ystride i32) (param $cstride i32)
    (param $W i32) (param $H i32) (param $w i32) (param $h i32) (param $out i32) (param $bufB i32) (param $bufR i32)
    (local $y i32) (local $near i32) (local $far i32) (local $i i32) (local $o i32) (local $yrow i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $y) (local.get $H)))
        (local.set $near (i32.shr_u (local.get $y) (i32.const 1)))
        (local.set $far
          (if (result i32) (i32.and (local.get $y) (i32.const 1))
            (then (select (i32.sub (local.get $h) (i32.const 1)) (i32.add (local.get $near) (i32.const 1))
              (i32.gt_u (i32.add (local.get $near) (i32.const 1)) (i32.sub (local.get $h) (i32.const 1)))))
            (else (select (i32.const 0) (i32.sub (local.get $near) (i32.const 1)) (i32.eqz (local.get $near))))))
        (call $colsums (i32.add (local.get $bp) (i32.mul (local.get $near) (local.get $cstride))) (i32.add (local.get $bp) (i32.mul (local.get $far) (local.get $cstride))) (local.get $w) (local.get $bufB))
        (call $colsums (i32.add (local.get $rp) (i32.mul (local.get $near) (local.get $cstride))) (i32.add (local.get $rp) (i32.mul (local.get $far) (local.get $cstride))) (local.get $w) (local.get $bufR))
        (local.set $yrow (i32.add (local.get $yp) (i32.mul (local.get $y) (local.get $ystride))))
        (local.set $o (i32.add (local.get $out) (i32.mul (i32.mul (local.get $y) (local.get $W)) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (i32.shl (local.get $i) (i32.const 1)) (local.get $W)))
            (call $rgb16
              (v128.load (i32.add (local.get $yrow) (i32.shl (local.get $i) (i32.const 1))))
              (call $fancy16 (i32.add (local.get $bufB) (i32.shl (local.get $i) (i32.const 1))))
              (call $fancy16 (i32.add (local.get $bufR) (i32.shl (local.get $i) (i32.const 1))))
              (i32.add (local.get $o) (i32.mul (local.get $i) (i32.const 6))))
            (local.set $i (i32.add (local.get $i) (i32.const 8)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))
)
