package dev.foundry.backend;

public final class Main {
  public static void main(String[] args) {}
}
